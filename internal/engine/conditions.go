package engine

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// setConditions derives Ready and Reconciling from the phase, so tools that
// wait on conditions (kubectl wait, Flux health checks) understand a release.
// Stalled belongs to the shells: only they know a reference is missing.
func setConditions(st *v1alpha1.ReleaseStatus, now time.Time) {
	ready, reconciling := metav1.ConditionFalse, metav1.ConditionFalse
	switch st.Phase {
	case v1alpha1.PhasePromoted, v1alpha1.PhaseWaiting:
		ready = metav1.ConditionTrue
	case v1alpha1.PhaseRolledBack:
	default:
		reconciling = metav1.ConditionTrue
	}
	reason := string(st.Phase)
	if reason == "" {
		reason = "Unknown"
	}
	ts := metav1.NewTime(now)
	set := func(typ string, s metav1.ConditionStatus) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: s, Reason: reason, Message: st.Message,
			ObservedGeneration: st.ObservedGeneration, LastTransitionTime: ts,
		})
	}
	set(v1alpha1.ConditionReady, ready)
	set(v1alpha1.ConditionReconciling, reconciling)
}
