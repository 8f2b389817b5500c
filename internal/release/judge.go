package release

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
)

// judgeTick is the judge's part of a tick: the verdict the engine sees,
// and the judge's memory to keep in status.analysis.judge.
type judgeTick struct {
	result *engine.JudgeResult
	status *v1alpha1.JudgeStatus
	// verdict is set when the judge took a reading, for the metrics.
	verdict *analysis.JudgeVerdict
}

// judgeDue reports whether the judge should read between checks: the loop
// reads it every JudgeEvery, so that a failing canary is rolled back
// within seconds however long spec.analysis.interval is.
func (t *turn) judgeDue() bool {
	every := t.loop.JudgeEvery
	if every <= 0 || t.rel.Spec.Analysis.Judge == nil {
		return false
	}
	prev := t.rel.Status.Analysis.Judge
	if prev == nil || prev.ReadAt == nil || prev.StartedAt == nil || t.rel.Status.StartedAt == nil || !prev.StartedAt.Equal(t.rel.Status.StartedAt) {
		return true
	}
	return !t.now.Before(prev.ReadAt.Add(every))
}

// readJudge feeds the release's statistical judge with what each version
// served since the last reading, and carries its verdict between readings
// so the engine sees one steady answer. Everything it knows lives in
// status.analysis.judge, in both shells: a restarted controller or runner
// resumes the very same test. A reading that fails leaves the evidence as
// it was — no data is never a pass.
func (t *turn) readJudge(ctx context.Context, read bool) judgeTick {
	spec, st := t.rel.Spec.Analysis.Judge, t.rel.Status
	active := st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused
	if spec == nil || !active || st.StartedAt == nil {
		return judgeTick{}
	}
	prev := st.Analysis.Judge
	if prev != nil && (prev.StartedAt == nil || !prev.StartedAt.Equal(st.StartedAt)) {
		prev = nil // evidence of an earlier canary
	}
	if !read {
		return judgeTick{result: resultOf(spec, prev), status: prev}
	}
	next, v, err := t.judgeReading(ctx, prev)
	if err != nil {
		res := resultOf(spec, prev)
		if res == nil {
			// Say why there is no verdict: a promotion waits on it.
			res = &engine.JudgeResult{Decision: engine.JudgeContinue, Reason: "no reading yet: " + err.Error()}
		}
		return judgeTick{result: res, status: prev}
	}
	return judgeTick{result: resultOf(spec, next), status: next, verdict: &v}
}

// judgeReading reads both versions' counts and folds the batch in.
func (t *turn) judgeReading(ctx context.Context, prev *v1alpha1.JudgeStatus) (*v1alpha1.JudgeStatus, analysis.JudgeVerdict, error) {
	var none analysis.JudgeVerdict
	src, err := t.source()
	if err != nil {
		return nil, none, err
	}
	stable, stableBounds, err := src.Counts(ctx, "stable", t.now)
	if err != nil {
		return nil, none, fmt.Errorf("stable: %w", err)
	}
	canary, canaryBounds, err := src.Counts(ctx, "canary", t.now)
	if err != nil {
		return nil, none, fmt.Errorf("canary: %w", err)
	}
	startedAt := t.rel.Status.StartedAt
	var j analysis.Judge
	if prev != nil && json.Unmarshal([]byte(prev.State), &j) != nil {
		// Evidence saved by another version of Sluice: the judge starts
		// afresh from this reading rather than stall the release; it passes
		// nothing without new evidence.
		prev = nil
	}
	if prev == nil {
		// The first reading is the base: what came before the canary is
		// not evidence about it.
		var bounds []float64
		if len(stableBounds) > 0 && slices.Equal(stableBounds, canaryBounds) {
			bounds = stableBounds
		}
		j, err := analysis.NewJudge(analysis.JudgeConfigFor(t.rel.Spec.Analysis.Judge, bounds))
		if err != nil {
			return nil, none, fmt.Errorf("spec.analysis.judge: %w", err)
		}
		return saveJudge(j, startedAt, t.now, stable, canary)
	}
	ds, okS := delta(stable, countsOf(prev.Stable))
	dc, okC := delta(canary, countsOf(prev.Canary))
	if okS && okC {
		j.Observe(ds, dc)
	}
	// Otherwise a counter went back (a pod and its series went away, a
	// runner restarted): the batch is unknown, so it is skipped and the
	// reading is the new base.
	return saveJudge(&j, startedAt, t.now, stable, canary)
}

// delta is what a version served between two readings of cumulative
// counters. A count that went back means the counters started over, so
// such a batch is reported as unknown.
func delta(cur, prev analysis.ArmSample) (analysis.ArmSample, bool) {
	if cur.Requests < prev.Requests || cur.Errors < prev.Errors {
		return analysis.ArmSample{}, false
	}
	d := analysis.ArmSample{Requests: cur.Requests - prev.Requests, Errors: cur.Errors - prev.Errors}
	if len(cur.Buckets) > 0 && len(cur.Buckets) == len(prev.Buckets) {
		d.Buckets = make([]uint64, len(cur.Buckets))
		for i := range cur.Buckets {
			if cur.Buckets[i] < prev.Buckets[i] {
				return analysis.ArmSample{}, false
			}
			d.Buckets[i] = cur.Buckets[i] - prev.Buckets[i]
		}
	}
	return d, true
}

func saveJudge(j *analysis.Judge, startedAt *metav1.Time, now time.Time, stable, canary analysis.ArmSample) (*v1alpha1.JudgeStatus, analysis.JudgeVerdict, error) {
	v := j.Verdict()
	state, err := json.Marshal(j)
	if err != nil {
		return nil, v, fmt.Errorf("saving the judge: %w", err)
	}
	return &v1alpha1.JudgeStatus{
		Decision: string(v.Decision), Reason: v.Reason, StartedAt: startedAt.DeepCopy(), ReadAt: &metav1.Time{Time: now},
		State: string(state), Stable: countsFrom(stable), Canary: countsFrom(canary),
	}, v, nil
}

// resultOf is the verdict as the engine takes it; nil before the first
// reading, so a promotion that requires a pass waits.
func resultOf(spec *v1alpha1.JudgeSpec, js *v1alpha1.JudgeStatus) *engine.JudgeResult {
	if js == nil || js.Decision == "" {
		return nil
	}
	return &engine.JudgeResult{Decision: engine.JudgeDecision(js.Decision), Reason: js.Reason, AllowEarlyPass: spec.EarlyPass}
}

func countsFrom(a analysis.ArmSample) *v1alpha1.JudgeCounts {
	c := &v1alpha1.JudgeCounts{Requests: int64(a.Requests), Errors: int64(a.Errors)}
	for _, b := range a.Buckets {
		c.Buckets = append(c.Buckets, int64(b))
	}
	return c
}

func countsOf(c *v1alpha1.JudgeCounts) analysis.ArmSample {
	if c == nil {
		return analysis.ArmSample{}
	}
	a := analysis.ArmSample{Requests: uint64(max(0, c.Requests)), Errors: uint64(max(0, c.Errors))}
	for _, b := range c.Buckets {
		a.Buckets = append(a.Buckets, uint64(max(0, b)))
	}
	return a
}

// keepJudge puts the judge's memory in the status the engine decided,
// unless the engine has just started another canary, whose evidence starts
// from nothing.
func keepJudge(st *v1alpha1.ReleaseStatus, js *v1alpha1.JudgeStatus) {
	if js != nil && st.StartedAt != nil && js.StartedAt != nil && js.StartedAt.Equal(st.StartedAt) {
		st.Analysis.Judge = js
	}
}
