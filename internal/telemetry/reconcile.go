package telemetry

// ReconcileResult is how one round of a shell's loop ended.
type ReconcileResult string

// The results of sluice_reconcile_total. The controller-runtime metric
// controller_runtime_reconcile_total counts rounds per controller; this
// one counts them per release, for both shells, and tells apart a release
// stalled on a person's fix, which controller-runtime counts as success.
const (
	ReconcileSuccess ReconcileResult = "success"
	ReconcileError   ReconcileResult = "error"
	ReconcileStalled ReconcileResult = "stalled"
)

// ResultOf is the result of a round that ended with err and, when it
// ended without one, may have found the release stalled.
func ResultOf(err error, stalled bool) ReconcileResult {
	switch {
	case err != nil:
		return ReconcileError
	case stalled:
		return ReconcileStalled
	}
	return ReconcileSuccess
}

// ObserveReconcile counts one round of a shell's loop for a release: a
// reconcile in the controller, a tick in `sluice run`.
func (r *Recorder) ObserveReconcile(namespace, name string, result ReconcileResult) {
	if r == nil {
		return
	}
	// Every result at zero first, so the first error shows as an increase.
	for _, res := range []ReconcileResult{ReconcileSuccess, ReconcileError, ReconcileStalled} {
		c := r.reconciles.WithLabelValues(namespace, name, string(res))
		if res == result {
			c.Inc()
		}
	}
}
