package release

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// Health is the one-word answer to "is this release all right?".
type Health string

// The health badges.
const (
	HealthHealthy  Health = "Healthy"
	HealthDegraded Health = "Degraded"
	HealthFailing  Health = "Failing"
	HealthUnknown  Health = "Unknown"
)

// health judges a release from its phase, conditions, last check and the
// judge's verdict, worst first.
func (v *View) health() (Health, string) {
	st := v.Release.Status
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return HealthFailing, "stalled: " + c.Message
	}
	switch st.Phase {
	case v1alpha1.PhaseRolledBack, v1alpha1.PhaseRollingBack:
		return HealthFailing, "rolled back: " + st.Message
	case v1alpha1.PhasePromoted:
		return HealthHealthy, "promoted"
	}
	if v.Judge != nil && v.Judge.Decision == string(v1alpha1.VerdictFail) {
		return HealthFailing, "the judge failed the canary: " + v.Judge.Reason
	}
	for _, m := range st.Analysis.Metrics {
		if m.Verdict == v1alpha1.VerdictFail {
			return HealthDegraded, fmt.Sprintf("%s failed its check (%s)", m.Name, m.Value)
		}
	}
	if st.Analysis.FailedChecks > 0 {
		return HealthDegraded, fmt.Sprintf("%d failed check(s) so far", st.Analysis.FailedChecks)
	}
	if st.Analysis.PassedChecks > 0 {
		return HealthHealthy, fmt.Sprintf("%d check(s) passed", st.Analysis.PassedChecks)
	}
	for _, ver := range v.Versions {
		if ver.SuccessRate != nil && *ver.SuccessRate < 99 {
			return HealthDegraded, fmt.Sprintf("%s answers %.1f%% of requests well", ver.Name, *ver.SuccessRate)
		}
	}
	if st.Phase == v1alpha1.PhaseWaiting {
		return HealthHealthy, "waiting for a new revision"
	}
	return HealthUnknown, "no check has run yet"
}
