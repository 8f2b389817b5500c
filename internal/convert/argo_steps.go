package convert

import (
	"fmt"

	"sluice.dev/sluice/api/v1alpha1"
)

// steps maps the canary steps. Steps that only configure something in
// Argo (a header route) become configuration of the Release; steps Sluice
// has no counterpart for are left out, with a note.
func (r *rollout) steps() error {
	s, st := r.s, &r.rel.Spec.Strategy
	base := canaryPath + ".steps"
	for i := range s.list(base) {
		p := index(base, i)
		to := fmt.Sprintf("spec.strategy.steps[%d]", len(st.Steps))
		switch {
		case s.has(p + ".setWeight"):
			w, _ := s.num(p + ".setWeight")
			pct := int32(int64(w) * 100 / r.maxWeight)
			if int64(w)*100%r.maxWeight != 0 {
				s.mapTo(p+".setWeight", to+".setWeight", fmt.Sprintf("%v of %d is %d%% (rounded down)", w, r.maxWeight, pct))
			} else {
				s.mapTo(p+".setWeight", to+".setWeight")
			}
			st.Steps = append(st.Steps, v1alpha1.Step{SetWeight: int32p(pct)})
		case s.has(p + ".pause"):
			d, err := s.duration(p + ".pause.duration")
			if err != nil {
				return err
			}
			if d != nil && d.Duration == 0 {
				d = nil // Argo's pause: {duration: 0} is no pause at all
				s.drop(p, "a pause of 0 does not wait")
				continue
			}
			st.Steps = append(st.Steps, v1alpha1.Step{Pause: &v1alpha1.PauseStep{Duration: d}})
			s.mapTo(p+".pause", to+".pause")
		case s.has(p + ".analysis"):
			passes, n, err := r.analysisRef(p+".analysis", to+".analysis")
			if err != nil {
				return err
			}
			if n == 0 {
				s.drop(p, "its analysis has no metric Sluice can check, so the step would wait for ever")
				r.note("the analysis step %s was left out: none of its metrics could be converted", p)
				continue
			}
			st.Steps = append(st.Steps, v1alpha1.Step{Analysis: &v1alpha1.AnalysisStep{Passes: passes}})
		case s.has(p + ".setHeaderRoute"):
			r.headerRoute(p + ".setHeaderRoute")
		case s.has(p + ".setCanaryScale"):
			s.drop(p, "the canary Deployment runs its own replica count while it gets traffic")
		case s.has(p + ".setMirrorRoute"):
			s.drop(p, "Sluice does not mirror traffic")
		case s.has(p + ".experiment"):
			s.drop(p, "Sluice runs no experiments; spec.analysis.judge compares canary and stable on live traffic")
			r.note("the experiment step %s was left out", p)
		case s.has(p + ".plugin"):
			s.drop(p, "Sluice has no step plugins; a rollout webhook runs at every check")
			r.note("the plugin step %s was left out", p)
		}
	}
	if len(st.Steps) == 0 {
		st.Steps = []v1alpha1.Step{{SetWeight: int32p(100)}}
		r.note("the Rollout has no weight steps: as Argo does, the Release sends all traffic to a new version, then promotes it")
	}
	return nil
}

// headerRoute turns a setHeaderRoute step into a match rule. Sluice sends
// matching requests to the canary for the whole release, not from a step.
func (r *rollout) headerRoute(p string) {
	s := r.s
	rule := v1alpha1.MatchRule{Headers: map[string]v1alpha1.StringMatch{}}
	for i := range s.list(p + ".match") {
		mp := index(p+".match", i)
		rule.Headers[s.str(mp+".headerName")] = v1alpha1.StringMatch{
			Exact: s.str(mp + ".headerValue.exact"), Prefix: s.str(mp + ".headerValue.prefix"), Regex: s.str(mp + ".headerValue.regex"),
		}
	}
	to := fmt.Sprintf("spec.traffic.match[%d]", len(r.rel.Spec.Traffic.Match))
	if len(rule.Headers) == 0 {
		s.drop(p, "a header route without a match removes the route, and Sluice removes its own at the end")
		return
	}
	r.rel.Spec.Traffic.Match = append(r.rel.Spec.Traffic.Match, rule)
	s.mapTo(p+".match", to+".headers", "for the whole release, not from this step on")
	s.mapTo(p+".name", to, "Sluice names its route sluice-canary-match")
}

// background maps the analysis that runs through the whole canary.
func (r *rollout) background() error {
	p := canaryPath + ".analysis"
	if !r.s.has(p) {
		return nil
	}
	if _, _, err := r.analysisRef(p, "spec.analysis"); err != nil {
		return err
	}
	return nil
}
