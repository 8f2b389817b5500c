package local

import (
	"context"
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// saveEvery bounds how often a status that changed only in its evidence
// (the judge's counts, the last check's values) is written: those change
// every tick under traffic, and a restart loses at most this much of them.
const saveEvery = time.Second

var _ release.Store = (*Runner)(nil)

// Save keeps the status the tick decided and writes the state file: at
// once when a decision changed it, at most every saveEvery otherwise.
func (r *Runner) Save(_ context.Context, _ *v1alpha1.Release, st v1alpha1.ReleaseStatus) error {
	r.mu.Lock()
	r.rel.Status = st
	decided := !equality.Semantic.DeepEqual(decisions(r.saved), decisions(st))
	r.mu.Unlock()
	return r.persist(decided)
}

// decisions is a status without what changes at every tick.
func decisions(st v1alpha1.ReleaseStatus) v1alpha1.ReleaseStatus {
	st = *st.DeepCopy()
	st.Analysis.Judge, st.Analysis.Metrics, st.Analysis.LastCheckAt = nil, nil, nil
	st.Conditions = nil
	return st
}

// persist writes the state file when forced or when it is time.
func (r *Runner) persist(force bool) error {
	r.mu.Lock()
	now := r.opts.Clock.Now()
	if !force && now.Sub(r.lastSave) < saveEvery {
		r.mu.Unlock()
		return nil
	}
	s := &State{
		Release:   *r.rel.DeepCopy(),
		Checks:    append([]release.CheckPoint(nil), r.history...),
		Pending:   r.queued(),
		Runner:    r.info,
		UpdatedAt: now,
	}
	if r.stable != nil {
		s.Stable = r.stable.DeepCopy()
	}
	r.lastSave, r.saved = now, *r.rel.Status.DeepCopy()
	r.mu.Unlock()
	return SaveState(r.path, s)
}

// persistOnExit writes the state a last time, saying no runner runs.
func (r *Runner) persistOnExit() {
	r.mu.Lock()
	r.info = nil
	r.mu.Unlock()
	if err := r.persist(true); err != nil {
		r.opts.Logger.Warn("saving the state on exit", "err", err)
	}
}

// specEqual reports whether two specs would run the same release,
// spec.paused aside.
func specEqual(a, b v1alpha1.ReleaseSpec) bool {
	a.Paused, b.Paused = false, false
	return reflect.DeepEqual(a, b)
}
