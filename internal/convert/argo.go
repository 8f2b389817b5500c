package convert

import (
	"fmt"
	"maps"

	"sluice.dev/sluice/api/v1alpha1"
)

// trackLabel tells the stable Deployment's pods from the canary's, where a
// Rollout's Services and subsets told them apart by Argo's
// rollouts-pod-template-hash.
const trackLabel = "sluice.dev/track"

// scaledDownFrom is the annotation with which Sluice restores an idle
// canary Deployment to its replicas when the next version is set on it.
const scaledDownFrom = "sluice.dev/scaled-down-from"

// rollout converts one Argo Rollout.
type rollout struct {
	in   *Input
	s    *source
	rel  *v1alpha1.Release
	res  *Result
	used map[string]*source // AnalysisTemplates, by Kind/name

	name string
	// target is the workloadRef's Deployment (the target form); empty for
	// a pod template (the deployments form).
	target string
	// stableSvc and canarySvc are the Rollout's Services.
	stableSvc, canarySvc string
	// maxWeight is trafficRouting.maxTrafficWeight: Argo's weights are
	// parts of it, Sluice's percent.
	maxWeight int64
	// strictNoted is set once the note on failureLimit is written.
	strictNoted bool
}

const canaryPath = "spec.strategy.canary"

// convertRollout converts one Rollout and the AnalysisTemplates it uses.
func convertRollout(in *Input, o *object) (*Result, error) {
	r := &rollout{in: in, s: newSource(o, rolloutReasons), res: &Result{Source: "Argo " + o.ref()}, used: map[string]*source{}, name: o.name(), maxWeight: 100}
	r.rel = newRelease(r.s)
	if r.s.has("spec.strategy.blueGreen") {
		return nil, fmt.Errorf("%s: spec.strategy.blueGreen: Sluice moves traffic by weight through a VirtualService or an HTTPRoute, not by switching Services; write a Release with steps: [{setWeight: 0}, {pause: {}}] and a router, or convert a canary strategy", o.ref())
	}
	if !r.s.has(canaryPath) {
		return nil, fmt.Errorf("%s: spec.strategy.canary: not set", o.ref())
	}
	r.stableSvc, r.canarySvc = r.s.str(canaryPath+".stableService"), r.s.str(canaryPath+".canaryService")
	for _, step := range []func() error{r.workload, r.traffic, r.steps, r.background} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("%s: %w", o.ref(), err)
		}
	}
	r.rel.Spec.Paused = r.s.boolean("spec.paused")
	r.s.mapTo("spec.paused", "spec.paused")
	r.res.Release = r.rel
	r.res.Fields = append(r.res.Fields, SourceFields{Object: o.ref(), Fields: r.s.fields()})
	for _, k := range sortedKeys(anyMap(r.used)) {
		u := r.used[k]
		r.res.Fields = append(r.res.Fields, SourceFields{Object: u.obj.ref(), Fields: u.fields()})
	}
	return r.res, nil
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// workload makes the deployments form from a pod template, or the target
// form from a workloadRef.
func (r *rollout) workload() error {
	s := r.s
	if s.has("spec.workloadRef") {
		if k := s.str("spec.workloadRef.kind"); k != "Deployment" {
			return fmt.Errorf("spec.workloadRef.kind: %s: Sluice releases Deployments only", k)
		}
		r.target = s.str("spec.workloadRef.name")
		port, targetPort, err := r.servicePort()
		if err != nil {
			return err
		}
		r.rel.Spec.Workload.Target = &v1alpha1.TargetWorkload{Deployment: r.target, Port: port, TargetPort: targetPort}
		s.mapTo("spec.workloadRef.name", "spec.workload.target.deployment")
		s.mapTo("spec.workloadRef.kind", "spec.workload.target (a Deployment)")
		s.mapTo("spec.workloadRef.apiVersion", "spec.workload.target (apps/v1)")
		s.drop("spec.replicas", "the target Deployment's own replicas are used")
		s.drop("spec.selector", "the target Deployment's own selector is used")
		r.note("the Deployment %s stays in Git as the template: Sluice keeps it at 0 replicas and runs the versions in %s-primary and %s-canary, with Services of those names", r.target, r.target, r.target)
		return nil
	}
	if !s.has("spec.template") || !s.has("spec.selector") {
		return fmt.Errorf("spec.template and spec.selector, or spec.workloadRef: not set")
	}
	replicas := int64(1)
	if n, ok := s.num("spec.replicas"); ok {
		replicas = int64(n)
	}
	stable, canary := r.name+"-stable", r.name+"-canary"
	for _, role := range []string{"stable", "canary"} {
		r.res.Objects = append(r.res.Objects, Output{Object: r.deployment(role, replicas), Why: deploymentWhy(role, stable, canary)})
	}
	to := "Deployments " + stable + " and " + canary
	s.mapTo("spec.template", to+" spec.template", "with "+trackLabel+": stable or canary")
	s.mapTo("spec.selector", to+" spec.selector", "with "+trackLabel+": stable or canary")
	s.mapTo("spec.replicas", to+" (the canary's while it runs)")
	for _, k := range []string{"minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"} {
		s.mapTo("spec."+k, to+" spec."+k)
	}
	for _, k := range []string{"maxSurge", "maxUnavailable"} {
		s.mapTo(canaryPath+"."+k, to+" spec.strategy.rollingUpdate."+k, "how each Deployment rolls its own pods")
	}
	r.rel.Spec.Workload.Deployments = &v1alpha1.DeploymentsWorkload{Stable: stable, Canary: canary}
	r.note("set each new version on %s (sluice set image %s CONTAINER=IMAGE, or in Git); %s always serves, and takes the canary's template when it is promoted", canary, r.name, stable)
	r.note("move without a gap: apply the two Deployments and wait until %s is ready; kubectl delete rollout %s --cascade=orphan (Argo's ReplicaSets keep serving, and Argo stops writing its hash into the Services); apply the rest; delete the orphaned ReplicaSets", stable, r.name)
	return nil
}

func deploymentWhy(role, stable, canary string) string {
	if role == "stable" {
		return "the Rollout's pod template: " + stable + " serves users; a promotion copies the canary's template onto it"
	}
	return "the Rollout's pod template again: " + canary + " is where each new version is tried; it idles at 0 replicas (Sluice restores it to " + scaledDownFrom + " when the next version is set) and is scaled to 0 after each release"
}

// deployment is one of the two Deployments of the deployments form.
func (r *rollout) deployment(role string, replicas int64) map[string]any {
	s := r.s
	tpl := deepCopy(s.object("spec.template")).(map[string]any)
	meta, _ := tpl["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		tpl["metadata"] = meta
	}
	labels, _ := meta["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
	}
	mp := canaryPath + "." + role + "Metadata"
	maps.Copy(labels, s.object(mp+".labels"))
	s.mapTo(mp+".labels", "Deployment "+r.name+"-"+role+" spec.template.metadata.labels")
	s.drop(mp+".annotations", "annotations that differ between the two pod templates would make them different versions, and a release would start at once; put them in the pod template")
	labels[trackLabel] = role
	meta["labels"] = labels
	sel := deepCopy(s.object("spec.selector")).(map[string]any)
	ml, _ := sel["matchLabels"].(map[string]any)
	if ml == nil {
		ml = map[string]any{}
	}
	ml[trackLabel] = role
	sel["matchLabels"] = ml

	spec := map[string]any{"replicas": replicas, "selector": sel, "template": tpl}
	for _, k := range []string{"minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds"} {
		if v, ok := s.value("spec." + k); ok {
			spec[k] = v
		}
	}
	ru := map[string]any{}
	for _, k := range []string{"maxSurge", "maxUnavailable"} {
		if v, ok := s.value(canaryPath + "." + k); ok {
			ru[k] = v
		}
	}
	if len(ru) > 0 {
		spec["strategy"] = map[string]any{"type": "RollingUpdate", "rollingUpdate": ru}
	}
	dmeta := map[string]any{"name": r.name + "-" + role}
	if ls := s.object("metadata.labels"); len(ls) > 0 {
		dmeta["labels"] = deepCopy(ls)
	}
	if role == "canary" {
		spec["replicas"] = int64(0)
		dmeta["annotations"] = map[string]any{scaledDownFrom: fmt.Sprint(replicas)}
	}
	return r.withNamespace(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": dmeta, "spec": spec})
}

func (r *rollout) withNamespace(obj map[string]any) map[string]any {
	if ns := r.s.obj.namespace(); ns != "" {
		obj["metadata"].(map[string]any)["namespace"] = ns
	}
	return obj
}

func (r *rollout) note(format string, args ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, args...))
}
