package release

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// StallReason says what a person must fix; it is the Stalled condition's
// reason.
type StallReason string

// The reasons a release stalls.
const (
	// StallInvalidSpec: the spec is invalid, or runs in the wrong shell.
	StallInvalidSpec StallReason = "InvalidSpec"
	// StallMissingReference: an object the spec names is missing or wrong.
	StallMissingReference StallReason = "MissingReference"
	// StallStatusMismatch: the saved status does not fit the steps.
	StallStatusMismatch StallReason = "StatusMismatch"
)

// StalledError says a release cannot go on until a person changes
// something: its spec, a referenced object, or a saved state that does not
// fit. The tick has saved condition Stalled with the same reason and
// message; the shell retries slowly, or refuses to start.
type StalledError struct {
	Reason  StallReason
	Message string
}

func (e *StalledError) Error() string { return fmt.Sprintf("stalled (%s): %s", e.Reason, e.Message) }

// stall records that the release cannot progress: condition Stalled with
// the message (which names the field), Ready False, and a warning event
// once per new stall, not at every retry.
func (l *Loop) stall(ctx context.Context, rel *v1alpha1.Release, now time.Time, reason StallReason, msg string) error {
	st := *rel.Status.DeepCopy()
	st.ObservedGeneration = rel.Generation
	st.Message = msg
	was := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled)
	setStalled(&st, true, string(reason), msg, now)
	if err := l.Store.Save(ctx, rel, st); err != nil {
		return fmt.Errorf("saving the stalled status (%s): %w", msg, err)
	}
	if was == nil || was.Status != metav1.ConditionTrue || was.Message != msg {
		rel = rel.DeepCopy()
		rel.Status = st
		l.record(ctx, Record{Release: rel, Now: now, Events: []engine.Event{{Reason: engine.ReasonStalled, Warning: true, Detail: msg, Weight: st.CanaryWeight, Revision: st.CanaryRevision}}})
	}
	return &StalledError{Reason: reason, Message: msg}
}

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
