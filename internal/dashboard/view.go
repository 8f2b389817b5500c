package dashboard

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/local"
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

// ReleaseView is a release page's data: the snapshot as the shells expose
// it, with what the page would otherwise have to work out itself.
type ReleaseView struct {
	local.Snapshot
	// Key is the release's name in this dashboard's URLs.
	Key string `json:"key"`
	// Live is false when the runner has gone and the snapshot is as saved.
	Live         bool     `json:"live"`
	Health       Health   `json:"health"`
	HealthReason string   `json:"healthReason,omitempty"`
	Plan         []Step   `json:"plan"`
	Objects      []Object `json:"objects,omitempty"`
	// Notes say what the Source could not show, such as metrics it failed
	// to read: the charts are then gaps, not a healthy release.
	Notes []string `json:"notes,omitempty"`
	// Delta is set on a live stream's update whose Checks hold only the
	// points newer than the previous message's; ChecksFrom is then the
	// time of the oldest point still kept.
	Delta      bool       `json:"delta,omitempty"`
	ChecksFrom *time.Time `json:"checksFrom,omitempty"`
}

// Step is one expanded step of the release's plan with where it stands.
type Step struct {
	Index int32  `json:"index"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	// Weight is the canary weight this step sets, or holds at.
	Weight int32 `json:"weight"`
	// State is done, current, pending or failed.
	State string `json:"state"`
}

// Object is a workload or traffic object the release drives.
type Object struct {
	Role string `json:"role"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Summary is a release's line in the list.
type Summary struct {
	Key          string          `json:"key"`
	Name         string          `json:"name"`
	Namespace    string          `json:"namespace,omitempty"`
	Phase        v1alpha1.Phase  `json:"phase"`
	Message      string          `json:"message,omitempty"`
	StepIndex    int32           `json:"stepIndex"`
	StepCount    int32           `json:"stepCount"`
	Step         string          `json:"step,omitempty"`
	CanaryWeight int32           `json:"canaryWeight"`
	Health       Health          `json:"health"`
	HealthReason string          `json:"healthReason,omitempty"`
	Stable       string          `json:"stable,omitempty"`
	Canary       string          `json:"canary,omitempty"`
	StartedAt    *metav1.Time    `json:"startedAt,omitempty"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	Paused       bool            `json:"paused,omitempty"`
	Analysis     AnalysisSummary `json:"analysis"`
}

// AnalysisSummary counts the checks of the current canary.
type AnalysisSummary struct {
	Passed int32 `json:"passed"`
	Failed int32 `json:"failed"`
}

// key is a release's name in URLs and in calls to the Source.
func (s *Server) key(snap *local.Snapshot) string {
	if s.opts.Namespaced && snap.Release.Namespace != "" {
		return snap.Release.Namespace + "/" + snap.Release.Name
	}
	return snap.Release.Name
}

// newView builds a release page's data. The judge's saved evidence and the
// runner's control address are left out: they are the runner's business,
// and the control endpoint takes commands without a token.
func newView(key string, snap *local.Snapshot, live bool) *ReleaseView {
	v := &ReleaseView{Snapshot: *snap, Key: key, Live: live}
	v.JudgeState, v.Control = nil, ""
	v.Health, v.HealthReason = health(snap)
	v.Plan = planSteps(&snap.Release)
	v.Objects = objects(&snap.Release)
	return v
}

func newSummary(key string, snap *local.Snapshot) Summary {
	rel := &snap.Release
	st := rel.Status
	sum := Summary{
		Key: key, Name: rel.Name, Namespace: rel.Namespace,
		Phase: st.Phase, Message: st.Message,
		StepIndex: st.StepIndex, StepCount: st.StepCount, CanaryWeight: st.CanaryWeight,
		StartedAt: st.StartedAt, UpdatedAt: snap.UpdatedAt, Paused: rel.Spec.Paused,
		Analysis: AnalysisSummary{Passed: st.Analysis.PassedChecks, Failed: st.Analysis.FailedChecks},
	}
	sum.Health, sum.HealthReason = health(snap)
	plan := planSteps(rel)
	if sum.StepCount == 0 {
		sum.StepCount = int32(len(plan))
	}
	if i := int(st.StepIndex); i >= 0 && i < len(plan) {
		sum.Step = plan[i].Text
	}
	for _, v := range snap.Versions {
		label := v.Version
		if label == "" {
			label = v.Revision
		}
		switch v.Name {
		case "stable":
			sum.Stable = label
		case "canary":
			sum.Canary = label
		}
	}
	return sum
}

// health judges a release from its phase, conditions, last check and the
// judge's verdict, worst first.
func health(snap *local.Snapshot) (Health, string) {
	st := snap.Release.Status
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return HealthFailing, "stalled: " + c.Message
	}
	switch st.Phase {
	case v1alpha1.PhaseRolledBack, v1alpha1.PhaseRollingBack:
		return HealthFailing, "rolled back: " + st.Message
	case v1alpha1.PhasePromoted:
		return HealthHealthy, "promoted"
	}
	if snap.Judge != nil && snap.Judge.Decision == string(v1alpha1.VerdictFail) {
		return HealthFailing, "the judge failed the canary: " + snap.Judge.Reason
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
	for _, v := range snap.Versions {
		if v.SuccessRate != nil && *v.SuccessRate < 99 {
			return HealthDegraded, fmt.Sprintf("%s answers %.1f%% of requests well", v.Name, *v.SuccessRate)
		}
	}
	if st.Phase == v1alpha1.PhaseWaiting {
		return HealthHealthy, "waiting for a new revision"
	}
	return HealthUnknown, "no check has run yet"
}

// planSteps expands the strategy the way the engine does and marks where
// the release stands in it.
func planSteps(rel *v1alpha1.Release) []Step {
	plan := engine.NewPlan(rel.Spec, engine.PromoteShiftToCanary)
	st := rel.Status
	out := make([]Step, 0, len(plan.Steps))
	var weight int32
	for i, ps := range plan.Steps {
		if ps.Kind == engine.StepSetWeight {
			weight = ps.Weight
		}
		step := Step{Index: int32(i), Kind: string(ps.Kind), Text: ps.String(), Weight: weight, State: "pending"}
		idx := int(st.StepIndex)
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

// objects names what the release drives, in the words of its spec.
func objects(rel *v1alpha1.Release) []Object {
	var out []Object
	w, t := rel.Spec.Workload, rel.Spec.Traffic
	switch {
	case w.Local != nil:
		out = append(out, localObject("stable", w.Local.Stable), localObject("canary", w.Local.Canary))
	case w.Deployments != nil:
		out = append(out,
			Object{Role: "stable", Kind: "Deployment", Name: w.Deployments.Stable},
			Object{Role: "canary", Kind: "Deployment", Name: w.Deployments.Canary})
	case w.Target != nil:
		out = append(out,
			Object{Role: "target", Kind: "Deployment", Name: w.Target.Deployment},
			Object{Role: "stable", Kind: "Deployment", Name: w.Target.Deployment + "-primary"},
			Object{Role: "canary", Kind: "Deployment", Name: w.Target.Deployment + "-canary"})
	}
	switch {
	case t.Proxy != nil:
		out = append(out, Object{Role: "traffic", Kind: "Sluice proxy", Name: t.Proxy.Listen})
	case t.Istio != nil:
		out = append(out, Object{Role: "traffic", Kind: "VirtualService", Name: t.Istio.VirtualService})
		if t.Istio.DestinationRule != "" {
			out = append(out, Object{Role: "traffic", Kind: "DestinationRule", Name: t.Istio.DestinationRule})
		}
	case t.GatewayAPI != nil:
		out = append(out,
			Object{Role: "traffic", Kind: "HTTPRoute", Name: t.GatewayAPI.HTTPRoute},
			Object{Role: "stable", Kind: "Service", Name: t.GatewayAPI.StableService},
			Object{Role: "canary", Kind: "Service", Name: t.GatewayAPI.CanaryService})
	}
	return out
}

func localObject(role string, v v1alpha1.LocalVersion) Object {
	if v.URL != "" {
		return Object{Role: role, Kind: "URL", Name: v.URL}
	}
	name := v.Version
	if len(v.Command) > 0 {
		name = v.Command[0]
		if v.Version != "" {
			name = v.Version + " (" + v.Command[0] + ")"
		}
	}
	return Object{Role: role, Kind: "process", Name: name}
}
