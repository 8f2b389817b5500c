package dashboard

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// ReleaseView is a release page's data: the release view as the shells
// produce it, with what the page would otherwise have to work out itself.
type ReleaseView struct {
	release.View
	// Key is the release's name in this dashboard's URLs.
	Key     string   `json:"key"`
	Objects []Object `json:"objects,omitempty"`
	// Notes say what the Source could not show, such as metrics it failed
	// to read: the charts are then gaps, not a healthy release.
	Notes []string `json:"notes,omitempty"`
	// Delta is set on a live stream's update whose Checks hold only the
	// points newer than the previous message's; ChecksFrom is then the
	// time of the oldest point still kept.
	Delta      bool       `json:"delta,omitempty"`
	ChecksFrom *time.Time `json:"checksFrom,omitempty"`
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
	Health       release.Health  `json:"health"`
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
func (s *Server) key(v *release.View) string {
	if s.opts.Namespaced && v.Release.Namespace != "" {
		return v.Release.Namespace + "/" + v.Release.Name
	}
	return v.Release.Name
}

// newView builds a release page's data. The judge's evidence stays out:
// it is the engine's memory, not something people read. Secrets are
// redacted: the page is read without the token too.
func newView(key string, v *release.View, live bool) *ReleaseView {
	out := &ReleaseView{View: *v.Redact(), Key: key}
	out.Live = live
	out.Release.Status.Analysis.Judge = nil
	if out.Plan == nil {
		out.Settle()
	}
	out.Objects = objects(&v.Release)
	return out
}

func newSummary(key string, view *release.View) Summary {
	rel := &view.Release
	st := rel.Status
	sum := Summary{
		Key: key, Name: rel.Name, Namespace: rel.Namespace,
		Phase: st.Phase, Message: st.Message,
		StepIndex: st.StepIndex, StepCount: st.StepCount, CanaryWeight: st.CanaryWeight,
		StartedAt: st.StartedAt, UpdatedAt: view.UpdatedAt, Paused: rel.Spec.Paused,
		Analysis:     AnalysisSummary{Passed: st.Analysis.PassedChecks, Failed: st.Analysis.FailedChecks},
		Health:       view.Health,
		HealthReason: view.HealthReason,
	}
	plan := view.Plan
	if plan == nil {
		plan = release.PlanView(rel)
	}
	if sum.StepCount == 0 {
		sum.StepCount = int32(len(plan))
	}
	if i := int(st.StepIndex); i >= 0 && i < len(plan) {
		sum.Step = plan[i].Text
	}
	for _, v := range view.Versions {
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
