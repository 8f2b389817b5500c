package release

import (
	"errors"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// View is a release as people and tools read it: the CLI's tree and
// `get -o`, the dashboard, alerts and Sluice's own metrics. Both shells
// produce the same View — a local runner from its proxy and processes, the
// CLI from a Release object, its Deployments and Prometheus — so nothing
// that reads a release needs to know where it runs.
type View struct {
	// Release is the object: spec as given, status as decided.
	Release v1alpha1.Release `json:"release"`
	// Versions are stable and canary, in that order.
	Versions []VersionView `json:"versions"`
	// ProxyAddress is where users send traffic (local releases).
	ProxyAddress string `json:"proxyAddress,omitempty"`
	// Judge is the statistical judge's last verdict, when it is on.
	Judge *JudgeView `json:"judge,omitempty"`
	// Checks are the figures over time, for charts, oldest first.
	Checks []CheckPoint `json:"checks,omitempty"`
	// ChartWindow is the window each point's rate, success rate and p99
	// are measured over, for people reading the charts (the checks have
	// their own windows, in the spec).
	ChartWindow string `json:"chartWindow,omitempty"`
	// Plan is the expanded steps with where the release stands in them.
	Plan []StepView `json:"plan"`
	// Health is the one-word answer to "is this release all right?".
	Health       Health `json:"health"`
	HealthReason string `json:"healthReason,omitempty"`
	// Live is false when what runs the release is gone and the view is as
	// last saved.
	Live bool `json:"live"`
	// PID is the local runner's process id, for people.
	PID       int       `json:"pid,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// VersionView is one version's state and live figures.
type VersionView struct {
	// Name is "stable" or "canary".
	Name string `json:"name"`
	// Version is the label people know it by: the local version label, or
	// the Deployment running it.
	Version  string `json:"version,omitempty"`
	URL      string `json:"url,omitempty"`
	PID      int    `json:"pid,omitempty"`
	Revision string `json:"revision,omitempty"`
	Ready    bool   `json:"ready"`
	Running  bool   `json:"running"`
	// Weight is the percent of traffic it gets.
	Weight int32 `json:"weight"`
	// Requests is the total count since the runner started.
	Requests uint64 `json:"requests"`
	// RPS, SuccessRate (percent) and P99Millis are over the last window;
	// SuccessRate and P99Millis are nil without requests.
	RPS         float64  `json:"rps"`
	SuccessRate *float64 `json:"successRate,omitempty"`
	P99Millis   *float64 `json:"p99Millis,omitempty"`
	// Ejected is true while the proxy sends this version no traffic because
	// it stopped answering; Ejections counts such times.
	Ejected            bool   `json:"ejected,omitempty"`
	Ejections          uint64 `json:"ejections,omitempty"`
	LastEjectionReason string `json:"lastEjectionReason,omitempty"`
	// Retries counts requests this version failed that the proxy sent to
	// the other version instead.
	Retries uint64 `json:"retries,omitempty"`
}

// JudgeView is the judge's verdict as shown to people.
type JudgeView struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// CheckPoint is one moment of the release for charts.
type CheckPoint struct {
	Time   time.Time `json:"time"`
	Weight int32     `json:"weight"`
	// Stable and Canary are the versions' figures at that time.
	Stable VersionPoint `json:"stable"`
	Canary VersionPoint `json:"canary"`
}

// VersionPoint is a version's figures at one time.
type VersionPoint struct {
	// RPS is nil when it is not known (a cluster release whose Prometheus
	// had nothing), so a chart shows a gap, not a drop to zero.
	RPS         *float64 `json:"rps,omitempty"`
	SuccessRate *float64 `json:"successRate,omitempty"`
	P99Millis   *float64 `json:"p99Millis,omitempty"`
}

// StepView is one expanded step of the plan with where it stands.
type StepView struct {
	Index int32  `json:"index"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	// Weight is the canary weight this step sets, or holds at.
	Weight int32 `json:"weight"`
	// Duration is a timed pause's length; 0 for a pause until promoted.
	Duration time.Duration `json:"durationNanos,omitempty"`
	// Passes is how many checks in a row an analysis step needs.
	Passes int32 `json:"passes,omitempty"`
	// State is done, current, pending or failed.
	State string `json:"state"`
}

// NewView starts the view of a release from the object alone: versions
// with the revisions and weights its status says, the judge's verdict and
// the plan. Producers add live figures and charts, then call Settle.
func NewView(rel *v1alpha1.Release, stableName, canaryName string, now time.Time) *View {
	st := rel.Status
	v := &View{Release: *rel.DeepCopy(), UpdatedAt: now}
	v.Versions = []VersionView{
		{Name: "stable", Version: stableName, Revision: st.StableRevision, Weight: 100 - st.CanaryWeight},
		{Name: "canary", Version: canaryName, Revision: st.CanaryRevision, Weight: st.CanaryWeight},
	}
	if j := st.Analysis.Judge; j != nil && j.Decision != "" {
		v.Judge = &JudgeView{Decision: j.Decision, Reason: j.Reason}
	}
	return v
}

// Settle works out what follows from the rest: the plan with each step's
// state, and the health.
func (v *View) Settle() *View {
	v.Plan = PlanView(&v.Release)
	v.Health, v.HealthReason = v.health()
	return v
}

// Version returns the named version's view, or nil.
func (v *View) Version(name string) *VersionView {
	for i := range v.Versions {
		if v.Versions[i].Name == name {
			return &v.Versions[i]
		}
	}
	return nil
}

// PlanView expands the strategy the way the engine does and marks where
// the release stands in it.
func PlanView(rel *v1alpha1.Release) []StepView {
	plan := engine.NewPlan(rel.Spec)
	st := rel.Status
	out := make([]StepView, 0, len(plan.Steps))
	idx := int(st.StepIndex)
	for i, ps := range plan.Steps {
		step := StepView{Index: int32(i), Kind: string(ps.Kind), Text: ps.String(), Weight: plan.WeightAt(i), Duration: ps.Duration, Passes: ps.Passes, State: "pending"}
		switch {
		case st.Phase == v1alpha1.PhasePromoted || st.Phase == v1alpha1.PhasePromoting || i < idx:
			step.State = "done"
		case i == idx && (st.Phase == v1alpha1.PhaseRolledBack || st.Phase == v1alpha1.PhaseRollingBack):
			step.State = "failed"
		case i == idx && (st.Phase == v1alpha1.PhaseProgressing || st.Phase == v1alpha1.PhasePaused):
			step.State = "current"
		}
		out = append(out, step)
	}
	return out
}

// ErrNotFound means no release of that name is known to the source asked.
var ErrNotFound = errors.New("no such release")

// ErrNotRunning means nothing runs the release now to take a command.
var ErrNotRunning = errors.New("nothing runs this release now")
