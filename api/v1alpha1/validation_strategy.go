package v1alpha1

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The CRD's MaxItems for steps and stepWeights.
const maxSteps = 100

func validateStrategy(s *Strategy, hasMetrics bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	hasSteps := len(s.Steps) > 0
	hasShort := s.StepWeight != 0 || len(s.StepWeights) > 0
	switch {
	case hasSteps && hasShort:
		errs = append(errs, field.Forbidden(p, "set either steps or stepWeight/stepWeights, not both"))
	case !hasSteps && !hasShort:
		errs = append(errs, field.Required(p, "set steps, or stepWeight or stepWeights"))
	}
	errs = appendErr(errs, tooMany(p.Child("steps"), len(s.Steps), maxSteps, "steps"))
	errs = appendErr(errs, tooMany(p.Child("stepWeights"), len(s.StepWeights), maxSteps, "weights"))
	if hasSteps && s.MaxWeight != 0 {
		errs = append(errs, field.Forbidden(p.Child("maxWeight"), "only applies to stepWeight, not to steps"))
	}
	if s.StepWeight != 0 && len(s.StepWeights) > 0 {
		errs = append(errs, field.Forbidden(p.Child("stepWeights"), "set stepWeight or stepWeights, not both"))
	}
	if s.StepWeight != 0 {
		errs = appendErr(errs, intRange(p.Child("stepWeight"), s.StepWeight, 1, 100))
	}
	if s.MaxWeight != 0 {
		errs = appendErr(errs, intRange(p.Child("maxWeight"), s.MaxWeight, 1, 100))
	}
	for i, w := range s.StepWeights {
		wp := p.Child("stepWeights").Index(i)
		switch {
		case w < 1 || w > 100:
			errs = appendErr(errs, intRange(wp, w, 1, 100))
		case i > 0 && w <= s.StepWeights[i-1]:
			errs = append(errs, field.Invalid(wp, w, fmt.Sprintf("%d is not above the previous weight %d", w, s.StepWeights[i-1])))
		case s.MaxWeight > 0 && w > s.MaxWeight:
			errs = append(errs, field.Invalid(wp, w, fmt.Sprintf("%d is above maxWeight %d", w, s.MaxWeight)))
		}
	}

	var gate *field.Path // where the first analysis gate is, if any
	for i := range s.Steps {
		sp := p.Child("steps").Index(i)
		errs = append(errs, validateStep(&s.Steps[i], sp)...)
		if s.Steps[i].Analysis != nil && gate == nil {
			gate = sp.Child("analysis")
		}
	}
	if !hasMetrics {
		switch {
		case gate != nil:
			errs = append(errs, field.Required(gate, "analysis steps need at least one metric in spec.analysis.metrics"))
		case !hasSteps && s.StepWeight != 0:
			errs = append(errs, field.Required(p.Child("stepWeight"), "stepWeight waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"))
		case !hasSteps && len(s.StepWeights) > 0:
			errs = append(errs, field.Required(p.Child("stepWeights"), "stepWeights waits for passing analysis checks, which need at least one metric in spec.analysis.metrics"))
		}
	}
	return errs
}

func validateStep(s *Step, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, exactlyOne(p, []string{"setWeight", "pause", "analysis"}, s.SetWeight != nil, s.Pause != nil, s.Analysis != nil))
	if s.SetWeight != nil {
		errs = appendErr(errs, intRange(p.Child("setWeight"), *s.SetWeight, 0, 100))
	}
	if s.Pause != nil && s.Pause.Duration != nil && s.Pause.Duration.Duration < 0 {
		d := s.Pause.Duration.Duration
		errs = append(errs, field.Invalid(p.Child("pause", "duration"), d.String(), fmt.Sprintf("%s is negative", d)))
	}
	if s.Analysis != nil && s.Analysis.Passes < 0 {
		errs = appendErr(errs, intRange(p.Child("analysis", "passes"), s.Analysis.Passes, 1, math.MaxInt32))
	}
	return errs
}
