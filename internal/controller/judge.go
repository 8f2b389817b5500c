package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/metrics/prometheus"
)

// counter is a metrics source that also reads the cumulative request
// counts the statistical judge compares.
type counter interface {
	Counts(ctx context.Context, version string, now time.Time) (analysis.ArmSample, []float64, error)
}

var _ counter = (*prometheus.Source)(nil)

// judgeTick is the judge's part of a reconcile: the verdict the engine
// sees, and the judge's memory to keep in .status.
type judgeTick struct {
	result *engine.JudgeResult
	status *v1alpha1.JudgeStatus
	// verdict is set when the judge took a reading, for the metrics.
	verdict *analysis.JudgeVerdict
}

// judge feeds the release's statistical judge with what each version
// served since the last reading, at each check, and carries its verdict
// between checks so the engine sees one steady answer. Everything it knows
// lives in status.analysis.judge: a restarted controller resumes the very
// same test. A reading that fails leaves the evidence as it was — no data
// is never a pass.
func (r *Reconciler) judge(ctx context.Context, rel *v1alpha1.Release, metrics metricsSource, due bool, now time.Time) judgeTick {
	spec, st := rel.Spec.Analysis.Judge, rel.Status
	active := st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused
	if spec == nil || !active || st.StartedAt == nil {
		return judgeTick{}
	}
	prev := st.Analysis.Judge
	if prev != nil && (prev.StartedAt == nil || !prev.StartedAt.Equal(st.StartedAt)) {
		prev = nil // evidence of an earlier canary
	}
	if !due {
		return judgeTick{result: resultOf(spec, prev), status: prev}
	}
	next, v, err := r.judgeReading(ctx, rel, metrics, prev, now)
	if err != nil {
		logf.FromContext(ctx).Info("statistical judge: no reading this check", "err", err.Error())
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
func (r *Reconciler) judgeReading(ctx context.Context, rel *v1alpha1.Release, metrics metricsSource, prev *v1alpha1.JudgeStatus, now time.Time) (*v1alpha1.JudgeStatus, analysis.JudgeVerdict, error) {
	var none analysis.JudgeVerdict
	src, err := metrics()
	if err != nil {
		return nil, none, err
	}
	c, ok := src.(counter)
	if !ok {
		return nil, none, errors.New("the metrics source cannot count requests")
	}
	stable, stableBounds, err := c.Counts(ctx, "stable", now)
	if err != nil {
		return nil, none, fmt.Errorf("stable: %w", err)
	}
	canary, canaryBounds, err := c.Counts(ctx, "canary", now)
	if err != nil {
		return nil, none, fmt.Errorf("canary: %w", err)
	}
	if prev == nil {
		// The first reading is the base: what came before the canary is
		// not evidence about it.
		var bounds []float64
		if len(stableBounds) > 0 && slices.Equal(stableBounds, canaryBounds) {
			bounds = stableBounds
		}
		j, err := analysis.NewJudge(analysis.JudgeConfigFor(rel.Spec.Analysis.Judge, bounds))
		if err != nil {
			return nil, none, fmt.Errorf("spec.analysis.judge: %w", err)
		}
		return saveJudge(j, rel.Status.StartedAt, stable, canary)
	}
	var j analysis.Judge
	if err := json.Unmarshal([]byte(prev.State), &j); err != nil {
		return nil, none, fmt.Errorf("status.analysis.judge.state: %w", err)
	}
	ds, okS := delta(stable, countsOf(prev.Stable))
	dc, okC := delta(canary, countsOf(prev.Canary))
	if okS && okC {
		j.Observe(ds, dc)
	}
	// Otherwise a counter went back (a pod and its series went away): the
	// batch is unknown, so it is skipped and the reading is the new base.
	return saveJudge(&j, rel.Status.StartedAt, stable, canary)
}

// delta is what a version served between two readings of summed counters.
// Unlike a single process' counter, a sum that goes back does not mean it
// restarted from zero, so such a batch is reported as unknown.
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

func saveJudge(j *analysis.Judge, startedAt *metav1.Time, stable, canary analysis.ArmSample) (*v1alpha1.JudgeStatus, analysis.JudgeVerdict, error) {
	v := j.Verdict()
	state, err := json.Marshal(j)
	if err != nil {
		return nil, v, fmt.Errorf("saving the judge: %w", err)
	}
	return &v1alpha1.JudgeStatus{
		Decision: string(v.Decision), Reason: v.Reason, StartedAt: startedAt.DeepCopy(),
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
