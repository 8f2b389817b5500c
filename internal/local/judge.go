package local

import (
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/proxy"
)

// judgeRunner feeds the statistical judge with what the proxy counted for
// each version since the last tick, for the current canary only: a new
// release (a new StartedAt) starts a new judge.
type judgeRunner struct {
	spec    *v1alpha1.JudgeSpec
	judge   *analysis.Judge
	started *metav1.Time
	last    proxy.Stats
	primed  bool
	// lastVerdict is the latest verdict, for the metrics.
	lastVerdict analysis.JudgeVerdict
	hasVerdict  bool
}

// verdict is the judge's latest verdict, if it gave one.
func (j *judgeRunner) verdict() (analysis.JudgeVerdict, bool) {
	if j == nil || !j.hasVerdict {
		return analysis.JudgeVerdict{}, false
	}
	return j.lastVerdict, true
}

func newJudgeRunner(spec *v1alpha1.JudgeSpec) *judgeRunner {
	if spec == nil {
		return nil
	}
	return &judgeRunner{spec: spec}
}

func (j *judgeRunner) config() analysis.JudgeConfig {
	return analysis.JudgeConfigFor(j.spec, proxy.LatencyBounds)
}

// observe adds the requests since the last call and returns the verdict for
// the engine, or nil when no canary is under test.
func (j *judgeRunner) observe(st v1alpha1.ReleaseStatus, stats proxy.Stats) (*engine.JudgeResult, error) {
	if j == nil {
		return nil, nil
	}
	active := st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused
	if !active || st.StartedAt == nil {
		j.primed = false
		return nil, nil
	}
	if j.judge == nil || j.started.Unix() != st.StartedAt.Unix() {
		judge, err := analysis.NewJudge(j.config())
		if err != nil {
			return nil, fmt.Errorf("spec.analysis.judge: %w", err)
		}
		j.judge, j.started, j.primed = judge, st.StartedAt.DeepCopy(), false
	}
	if j.primed {
		j.judge.Observe(arm(stats.Stable.Sub(j.last.Stable)), arm(stats.Canary.Sub(j.last.Canary)))
	}
	j.last, j.primed = stats, true
	v := j.judge.Verdict()
	j.lastVerdict, j.hasVerdict = v, true
	return &engine.JudgeResult{Decision: engine.JudgeDecision(v.Decision), Reason: v.Reason, AllowEarlyPass: j.spec.EarlyPass}, nil
}

func arm(v proxy.VersionStats) analysis.ArmSample {
	return analysis.ArmSample{Requests: v.Requests, Errors: v.Errors, Buckets: v.Buckets}
}

// savedJudge is the judge's state in the state file, so a restarted runner
// resumes the evidence gathered so far.
type savedJudge struct {
	StartedAt time.Time       `json:"startedAt"`
	State     json.RawMessage `json:"state"`
}

func (j *judgeRunner) save() *savedJudge {
	if j == nil || j.judge == nil || j.started == nil {
		return nil
	}
	b, err := json.Marshal(j.judge)
	if err != nil {
		return nil
	}
	return &savedJudge{StartedAt: j.started.Time, State: b}
}

func (j *judgeRunner) restore(s *savedJudge) error {
	if j == nil || s == nil {
		return nil
	}
	var judge analysis.Judge
	if err := json.Unmarshal(s.State, &judge); err != nil {
		return fmt.Errorf("restoring the judge: %w", err)
	}
	started := metav1.NewTime(s.StartedAt)
	j.judge, j.started, j.primed = &judge, &started, false
	return nil
}
