package analysis

import (
	"encoding/json"
	"fmt"
)

// judgeSnapshotVersion changes whenever the meaning of the saved state does,
// so that a shell never resumes a test from state it would misread.
// Version 2 added the latency margin: a version 1 state was gathered
// against the stricter null "no slower at all", and its evidence cannot be
// carried over into a test of "no slower than stable plus the margin".
// Version 3 pools batches into windows and keeps the fail tests as
// switching mixtures (judge_window.go, sequential_switch.go): a version 2
// state holds neither.
const judgeSnapshotVersion = 3

type judgeSnapshot struct {
	Version int         `json:"version"`
	Config  JudgeConfig `json:"config"`
	State   judgeState  `json:"state"`
}

// MarshalJSON saves the configuration and the whole test state.
func (j *Judge) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(judgeSnapshot{Version: judgeSnapshotVersion, Config: j.cfg, State: j.st})
	if err != nil {
		return nil, fmt.Errorf("saving judge state: %w", err)
	}
	return b, nil
}

// UnmarshalJSON restores a judge saved by MarshalJSON, checking that the
// state fits the configuration.
func (j *Judge) UnmarshalJSON(b []byte) error {
	var s judgeSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("restoring judge state: %w", err)
	}
	if s.Version == 1 || s.Version == 2 {
		return fmt.Errorf("restoring judge state: it was saved by an earlier Sluice (version %d, %s) and cannot be resumed; restart the analysis",
			s.Version, [...]string{1: "latency test without margin", 2: "tests without windows or switching"}[s.Version])
	}
	if s.Version != judgeSnapshotVersion {
		return fmt.Errorf("restoring judge state: version %d, want %d", s.Version, judgeSnapshotVersion)
	}
	fresh, err := NewJudge(s.Config)
	if err != nil {
		return fmt.Errorf("restoring judge state: %w", err)
	}
	if err := fresh.st.fits(s.State); err != nil {
		return fmt.Errorf("restoring judge state: %w", err)
	}
	j.cfg, j.st, j.shift, j.scoring = fresh.cfg, s.State, fresh.shift, fresh.scoring
	return nil
}

// fits checks that a restored state has the shape of this fresh one.
func (want judgeState) fits(got judgeState) error {
	if len(got.Errors.Fail.W) != len(want.Errors.Fail.W) || len(got.ErrorFloor.LogLR) != len(want.ErrorFloor.LogLR) {
		return fmt.Errorf("error test state does not match the configured ratios")
	}
	if len(got.Latency) != len(want.Latency) || len(got.StableBuckets) != len(want.StableBuckets) ||
		len(got.CanaryBuckets) != len(want.CanaryBuckets) || !sameShape(got.LatencyFail, want.LatencyFail) {
		return fmt.Errorf("latency state does not match the configured bounds and quantiles")
	}
	for _, sc := range [][]float64{got.LatencyFail.Tail.Scores, got.LatencyFail.Body.Scores} {
		if sc != nil && len(sc) != len(want.StableBuckets) {
			return fmt.Errorf("latency scores do not match the configured bounds")
		}
	}
	for _, e := range got.LatencyFail.Exceed {
		if e.Boundary >= len(got.StableBuckets)-1 || e.Boundary < -1 {
			return fmt.Errorf("latency exceedance test state does not match the configuration")
		}
	}
	for i, lt := range got.Latency {
		if lt.Quantile != want.Latency[i].Quantile || lt.Boundary >= len(got.StableBuckets)-1 || lt.Boundary < -1 {
			return fmt.Errorf("latency test %d state does not match the configuration", i)
		}
	}
	return nil
}

// sameShape reports whether two latency fail states have the same tests.
func sameShape(a, b latencyFail) bool {
	if len(a.Tail.Fail.W) != len(b.Tail.Fail.W) || len(a.Body.Fail.W) != len(b.Body.Fail.W) ||
		a.Body.Body != b.Body.Body || len(a.Exceed) != len(b.Exceed) {
		return false
	}
	for i := range a.Exceed {
		if a.Exceed[i].Quantile != b.Exceed[i].Quantile || len(a.Exceed[i].Risk.Fail.W) != len(b.Exceed[i].Risk.Fail.W) {
			return false
		}
	}
	return true
}
