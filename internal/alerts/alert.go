package alerts

import (
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// Severity is how much an alert matters. A receiver declares the least
// severe alert it wants, so a busy channel can take errors only.
type Severity string

// The severities, from least to most severe.
const (
	// SeverityInfo is a release going as planned: started, paused,
	// promoted.
	SeverityInfo Severity = "info"
	// SeverityWarn is something a person may want to look at while the
	// release goes on: a failed or held check.
	SeverityWarn Severity = "warn"
	// SeverityError is a release that failed: it is rolling back or rolled
	// back.
	SeverityError Severity = "error"
)

// rank orders the severities; an unknown one ranks below info.
func (s Severity) rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarn:
		return 2
	case SeverityError:
		return 3
	}
	return 0
}

// AtLeast reports whether s is as severe as least or more, which is what
// a receiver's filter asks.
func (s Severity) AtLeast(least Severity) bool { return s.rank() >= least.rank() }

// ParseSeverity checks a severity as the user wrote it; empty means info,
// so a receiver without a filter gets everything.
func ParseSeverity(s string) (Severity, error) {
	switch sev := Severity(s); sev {
	case "":
		return SeverityInfo, nil
	case SeverityInfo, SeverityWarn, SeverityError:
		return sev, nil
	}
	return "", fmt.Errorf("unknown severity %q (info, warn, error)", s)
}

// Alert is one piece of news about a release, in the words every provider
// formats its own way. The generic webhook receives it as JSON as is.
type Alert struct {
	Release   string   `json:"release"`
	Namespace string   `json:"namespace,omitempty"`
	Severity  Severity `json:"severity"`
	// Reason is the engine's CamelCase word, such as ThresholdReached.
	Reason string `json:"reason"`
	// Message is the engine's sentence for people.
	Message string `json:"message"`
	// Phase is the release's phase after the decision; FromPhase is the one
	// before it when the phase changed, else empty.
	Phase     string `json:"phase"`
	FromPhase string `json:"fromPhase,omitempty"`
	// CanaryWeight is the percent of traffic on the canary after the
	// decision.
	CanaryWeight int32     `json:"canaryWeight"`
	Time         time.Time `json:"time"`
}

// Title is the alert's one-line summary, as chats show it in
// notifications: the release, and the phase change or the reason.
func (a Alert) Title() string {
	name := a.Release
	if a.Namespace != "" {
		name = a.Namespace + "/" + a.Release
	}
	if a.FromPhase != "" && a.FromPhase != a.Phase {
		return fmt.Sprintf("%s: %s → %s", name, a.FromPhase, a.Phase)
	}
	return fmt.Sprintf("%s: %s", name, a.Reason)
}

// FromEvent turns one engine decision into an alert, and reports whether
// the decision is news for people: every phase change is (error when the
// release rolls back, info otherwise), and so is each failed or held check
// and any other warning (warn). Steps that go as planned are not: they
// would drown the failures in a busy channel.
//
// st is the release's status after the decision (engine.Result.Status), so
// the alert shows where the release now stands.
func FromEvent(ev engine.Event, namespace, release string, st v1alpha1.ReleaseStatus, now time.Time) (Alert, bool) {
	a := Alert{
		Release: release, Namespace: namespace,
		Reason: string(ev.Reason), Message: ev.Message(),
		Phase: string(st.Phase), CanaryWeight: st.CanaryWeight, Time: now,
	}
	switch {
	case ev.To != "":
		a.Phase, a.FromPhase = string(ev.To), string(ev.From)
		a.Severity = phaseSeverity(ev)
	case ev.Reason == engine.ReasonCheckFailed, ev.Reason == engine.ReasonCheckHeld, ev.Warning:
		a.Severity = SeverityWarn
	default:
		return Alert{}, false
	}
	return a, true
}

// phaseSeverity is how bad entering ev.To is.
func phaseSeverity(ev engine.Event) Severity {
	switch ev.To {
	case v1alpha1.PhaseRollingBack, v1alpha1.PhaseRolledBack:
		return SeverityError
	}
	if ev.Warning {
		return SeverityWarn
	}
	return SeverityInfo
}
