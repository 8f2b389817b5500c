package telemetry

import (
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// Check results, the values of sluice_release_checks_total's result label.
const (
	CheckPassed = "passed"
	CheckFailed = "failed"
	CheckNoData = "nodata"
)

// Release results, the values of sluice_release_duration_seconds' result
// label.
const (
	ResultPromoted   = "promoted"
	ResultRolledBack = "rolledback"
)

// Observe records a release as it stands after an engine step, with the
// step's events. Call it once per step, after the new status is saved (a
// status that was not saved will be decided again, and its events with
// it), with the time the step was made for (engine.Observation.Now).
//
// Gauges follow the status. Passed checks are counted from the growth of
// status.analysis.passedChecks; failed and held checks from the events
// (CheckFailed, CheckHeld), one each. Time in a phase is the time between
// two observations, credited to the phase seen at the first. The first
// observation of a release in this process only sets the starting point.
func (r *Recorder) Observe(rel *v1alpha1.Release, events []engine.Event, now time.Time) {
	if r == nil || rel == nil {
		return
	}
	ns, name := rel.Namespace, rel.Name
	st := rel.Status
	r.mu.Lock()
	defer r.mu.Unlock()

	for _, p := range phases {
		r.phase.WithLabelValues(ns, name, string(p)).Set(boolValue(p == st.Phase))
	}
	r.weight.WithLabelValues(ns, name).Set(float64(st.CanaryWeight))
	r.step.WithLabelValues(ns, name).Set(float64(st.StepIndex))
	r.steps.WithLabelValues(ns, name).Set(float64(st.StepCount))
	if st.StepStartedAt != nil {
		r.stepStarted.WithLabelValues(ns, name).Set(float64(st.StepStartedAt.Unix()))
	} else {
		r.stepStarted.DeleteLabelValues(ns, name)
	}

	k := key{ns, name}
	m := r.releases[k]
	first := m == nil
	if first {
		m = &memory{}
		r.releases[k] = m
		r.initSeries(ns, name)
	}
	r.setWorkloads(m, ns, name, workloadsOf(rel.Spec.Workload))
	if !first {
		r.countTime(m, ns, name, now)
		r.countPasses(m, ns, name, st)
	}
	for _, ev := range events {
		r.countEvent(ns, name, ev, st, now)
	}
	m.phase, m.at = st.Phase, now
	m.startedAt, m.canary, m.passed = startOf(st), st.CanaryRevision, st.Analysis.PassedChecks
}

// initSeries creates the release's counters at zero, so the first check
// or the first end of a release shows as an increase, not as a series
// that appears already at 1, which increase() and rate() cannot see.
func (r *Recorder) initSeries(ns, name string) {
	for _, result := range []string{CheckPassed, CheckFailed, CheckNoData} {
		r.checks.WithLabelValues(ns, name, result)
	}
	for _, result := range []string{ResultPromoted, ResultRolledBack} {
		r.duration.WithLabelValues(ns, name, result)
	}
}

// countTime credits the time since the last observation to the phase the
// release was in then, if it is an active phase: the resting phases
// (Waiting, Promoted, RolledBack) would grow without end.
func (r *Recorder) countTime(m *memory, ns, name string, now time.Time) {
	if !active(m.phase) || !now.After(m.at) {
		return
	}
	r.phaseSeconds.WithLabelValues(ns, name, string(m.phase)).Add(now.Sub(m.at).Seconds())
}

// countPasses adds the checks passed since the last observation; a new
// release (another start or canary) counts from zero.
func (r *Recorder) countPasses(m *memory, ns, name string, st v1alpha1.ReleaseStatus) {
	passed := st.Analysis.PassedChecks
	if startOf(st).Equal(m.startedAt) && st.CanaryRevision == m.canary {
		passed -= m.passed
	}
	if passed > 0 {
		r.checks.WithLabelValues(ns, name, CheckPassed).Add(float64(passed))
	}
}

// countEvent counts one decision, and the end of a release.
func (r *Recorder) countEvent(ns, name string, ev engine.Event, st v1alpha1.ReleaseStatus, now time.Time) {
	r.decisions.WithLabelValues(ns, name, string(ev.Reason)).Inc()
	switch ev.Reason {
	case engine.ReasonCheckFailed:
		r.checks.WithLabelValues(ns, name, CheckFailed).Inc()
	case engine.ReasonCheckHeld:
		r.checks.WithLabelValues(ns, name, CheckNoData).Inc()
	}
	var result string
	switch ev.To {
	case v1alpha1.PhasePromoted:
		result = ResultPromoted
	case v1alpha1.PhaseRolledBack:
		result = ResultRolledBack
	default:
		return
	}
	if st.StartedAt == nil {
		return
	}
	end := now
	if st.FinishedAt != nil {
		end = st.FinishedAt.Time
	}
	if d := end.Sub(st.StartedAt.Time); d >= 0 {
		r.duration.WithLabelValues(ns, name, result).Observe(d.Seconds())
	}
}

// active reports whether time in p is worth counting: the release is
// moving, or held by a person.
func active(p v1alpha1.Phase) bool {
	switch p {
	case v1alpha1.PhaseInitializing, v1alpha1.PhaseProgressing, v1alpha1.PhasePaused,
		v1alpha1.PhasePromoting, v1alpha1.PhaseRollingBack:
		return true
	}
	return false
}

func startOf(st v1alpha1.ReleaseStatus) time.Time {
	if st.StartedAt == nil {
		return time.Time{}
	}
	return st.StartedAt.Time
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
