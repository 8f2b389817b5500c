package sim

import (
	"fmt"

	"sluice.dev/sluice/internal/analysis"
)

// sluiceSequential is Sluice's statistical judge, sampled once per simulated
// second, on the shared plan: the weight advances every interval while the
// judge has not failed the canary; after the last interval at maxWeight the
// canary is promoted only once the judge passes it (a judge that says
// Continue holds the release). Fail rolls back at once.
type sluiceSequential struct {
	j    *analysis.Judge
	w    int
	out  outcome
	plan plan
	// passedAt is the first second the judge said Pass, 0 if never.
	passedAt int
}

func newSluiceSequential(cfg analysis.JudgeConfig, p plan) (*sluiceSequential, error) {
	j, err := analysis.NewJudge(cfg)
	if err != nil {
		return nil, fmt.Errorf("sluice-sequential: %w", err)
	}
	return &sluiceSequential{j: j, w: p.start(), plan: p}, nil
}

func (s *sluiceSequential) weight() int    { return s.w }
func (s *sluiceSequential) state() outcome { return s.out }

func (s *sluiceSequential) tick(t int, stable, canary *arm) {
	s.j.Observe(toSample(stable), toSample(canary))
	d := s.j.Decision()
	if d == analysis.JudgeFail {
		s.out, s.w = rolledBack, 0
		return
	}
	if d == analysis.JudgePass && s.passedAt == 0 {
		s.passedAt = t
	}
	switch {
	case s.plan.hold > 0:
	case t%interval == 0 && s.w < maxWeight:
		s.w = min(s.w+stepWeight, maxWeight)
	case t >= interval*maxWeight/stepWeight && d == analysis.JudgePass && s.plan.promotes():
		s.out, s.w = promoted, 100
	}
}

func toSample(a *arm) analysis.ArmSample {
	return analysis.ArmSample{Requests: a.N, Errors: a.Errs, Buckets: a.Buckets[:]}
}
