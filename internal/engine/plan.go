package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// StepKind says what a plan step waits for.
type StepKind string

// The kinds of plan step.
const (
	StepSetWeight StepKind = "setWeight"
	StepPause     StepKind = "pause"
	StepAnalysis  StepKind = "analysis"
)

// PlanStep is one expanded, defaulted step.
type PlanStep struct {
	Kind StepKind
	// Weight is the canary weight for StepSetWeight.
	Weight int32
	// Duration is the wait for StepPause; zero waits until promoted.
	Duration time.Duration
	// Passes is how many checks in a row a StepAnalysis needs.
	Passes int32
}

// String is what people see for the step, in the spec's own words.
func (s PlanStep) String() string {
	switch s.Kind {
	case StepSetWeight:
		return fmt.Sprintf("setWeight: %d", s.Weight)
	case StepPause:
		if s.Duration == 0 {
			return "pause (until promoted)"
		}
		return fmt.Sprintf("pause: %s", s.Duration)
	case StepAnalysis:
		if s.Passes == 1 {
			return "analysis (1 passing check)"
		}
		return fmt.Sprintf("analysis (%d passing checks)", s.Passes)
	}
	return string(s.Kind)
}

// Plan is the strategy and analysis of a spec, expanded and defaulted, so
// the engine never has to think about shorthand forms.
type Plan struct {
	Steps         []PlanStep
	Interval      time.Duration
	Threshold     int32
	NoDataTimeout time.Duration
	// HasChecks is false when the spec names no metrics; checks are skipped.
	HasChecks bool
	// HasMatch is true when match rules send some traffic to the canary
	// whatever the weight, so checks make sense even at weight 0.
	HasMatch bool
	// JudgeGate holds the promotion until the statistical judge passes.
	JudgeGate bool
	// ConfirmGate holds the promotion until a confirm-promotion webhook
	// said yes (Observation.PromotionConfirmed).
	ConfirmGate bool
	// StepsHash names the expanded steps; a status made for other steps
	// (the spec was edited) is restarted rather than resumed at an index
	// that now means another step.
	StepsHash string
}

// Default values used when the spec leaves them out: the API's, so a plan
// and a defaulted spec never disagree.
const (
	DefaultInterval  = v1alpha1.DefaultInterval
	DefaultThreshold = v1alpha1.DefaultThreshold
	DefaultMaxWeight = v1alpha1.DefaultMaxWeight
)

// NewPlan expands a (validated) spec. The shorthand stepWeight/stepWeights
// up to maxWeight becomes, for each weight, "setWeight then one passing
// check", which is the rhythm Flagger users know.
func NewPlan(spec v1alpha1.ReleaseSpec) Plan {
	p := newPlan(spec)
	p.StepsHash = HashSteps(p.Steps)
	return p
}

func newPlan(spec v1alpha1.ReleaseSpec) Plan {
	p := Plan{
		Interval:  DefaultInterval,
		Threshold: DefaultThreshold,
		HasChecks: len(spec.Analysis.Metrics) > 0 || spec.Analysis.Judge != nil,
		JudgeGate: spec.Analysis.Judge.JudgeRequiresPass(),
		HasMatch:  len(spec.Traffic.Match) > 0,
	}
	for _, h := range spec.Webhooks {
		p.ConfirmGate = p.ConfirmGate || h.Type == v1alpha1.WebhookConfirmPromotion
	}
	if d := spec.Analysis.Interval; d != nil && d.Duration > 0 {
		p.Interval = d.Duration
	}
	if spec.Analysis.Threshold > 0 {
		p.Threshold = spec.Analysis.Threshold
	}
	p.NoDataTimeout = 5 * p.Interval
	if d := spec.Analysis.NoDataTimeout; d != nil && d.Duration > 0 {
		p.NoDataTimeout = d.Duration
	}

	st := spec.Strategy
	if len(st.Steps) > 0 {
		for _, s := range st.Steps {
			p.Steps = append(p.Steps, expandStep(s))
		}
		return p
	}
	for _, w := range shorthandWeights(st) {
		p.Steps = append(p.Steps,
			PlanStep{Kind: StepSetWeight, Weight: w},
			PlanStep{Kind: StepAnalysis, Passes: 1})
	}
	return p
}

func expandStep(s v1alpha1.Step) PlanStep {
	switch {
	case s.SetWeight != nil:
		return PlanStep{Kind: StepSetWeight, Weight: clampWeight(*s.SetWeight)}
	case s.Pause != nil:
		ps := PlanStep{Kind: StepPause}
		if s.Pause.Duration != nil {
			ps.Duration = s.Pause.Duration.Duration
		}
		return ps
	default:
		passes := int32(1)
		if s.Analysis != nil && s.Analysis.Passes > 0 {
			passes = s.Analysis.Passes
		}
		return PlanStep{Kind: StepAnalysis, Passes: passes}
	}
}

func shorthandWeights(st v1alpha1.Strategy) []int32 {
	maxW := st.MaxWeight
	if maxW <= 0 {
		maxW = DefaultMaxWeight
	}
	if len(st.StepWeights) > 0 {
		var ws []int32
		for _, w := range st.StepWeights {
			if w > 0 && w <= 100 {
				ws = append(ws, w)
			}
		}
		return ws
	}
	if st.StepWeight <= 0 {
		return nil
	}
	var ws []int32
	for w := st.StepWeight; w < maxW; w += st.StepWeight {
		ws = append(ws, w)
	}
	return append(ws, clampWeight(maxW))
}

func clampWeight(w int32) int32 {
	return max(0, min(100, w))
}

// HashSteps names a list of steps: equal steps, equal hash. It is kept in
// status.stepsHash, as Argo Rollouts keeps its currentStepHash.
func HashSteps(steps []PlanStep) string {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "%s/%d/%d/%d;", s.Kind, s.Weight, s.Duration, s.Passes)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:10]
}

// WeightAt is the canary weight the plan holds at step i: that of the last
// setWeight step up to it. Views use it to draw the plan.
func (p Plan) WeightAt(i int) int32 {
	var w int32
	for j := 0; j <= i && j < len(p.Steps); j++ {
		if p.Steps[j].Kind == StepSetWeight {
			w = p.Steps[j].Weight
		}
	}
	return w
}
