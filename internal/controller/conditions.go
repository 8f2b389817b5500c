package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// setStalled sets the Stalled condition; a stalled release is not Ready.
func setStalled(st *v1alpha1.ReleaseStatus, stalled bool, reason, msg string, now time.Time) {
	ts := metav1.NewTime(now)
	if !stalled {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: v1alpha1.ConditionStalled, Status: metav1.ConditionFalse, Reason: "Progressing",
			ObservedGeneration: st.ObservedGeneration, LastTransitionTime: ts,
		})
		return
	}
	for _, c := range []metav1.Condition{
		{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue},
		{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse},
		{Type: v1alpha1.ConditionReconciling, Status: metav1.ConditionFalse},
	} {
		c.Reason, c.Message, c.ObservedGeneration, c.LastTransitionTime = reason, msg, st.ObservedGeneration, ts
		meta.SetStatusCondition(&st.Conditions, c)
	}
}
