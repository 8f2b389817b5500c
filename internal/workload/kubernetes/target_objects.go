package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/internal/kubeerr"
)

// ServicePortName names the port of the Services Sluice creates; the
// "http" prefix tells Istio to treat the traffic as HTTP.
const ServicePortName = "http"

// objectLabels label the Deployments and Services Sluice creates. The
// user's labels stay on the pods only: copying them onto the objects
// themselves could make a GitOps tool that tracks its objects by label
// think it owns, and prune, what Sluice created.
// A Release name too long for a label value is left out.
func (t *Target) objectLabels(role string) map[string]string {
	labels := map[string]string{LabelRole: role}
	if len(validation.IsValidLabelValue(t.release)) == 0 {
		labels[LabelRelease] = t.release
	}
	return labels
}

// podSelector is the target's selector labels plus the role, so the
// primary's and the canary's pods are told apart without renaming any of
// the user's labels.
func podSelector(target *appsv1.Deployment, role string) map[string]string {
	sel := maps.Clone(target.Spec.Selector.MatchLabels)
	sel[LabelRole] = role
	return sel
}

// ownerRef points at the Release, so the objects Sluice creates go with it.
func (t *Target) ownerRef() (*metav1ac.OwnerReferenceApplyConfiguration, error) {
	if t.owner.GetUID() == "" {
		return nil, fmt.Errorf("owner %s of the objects Sluice creates has no uid: pass the Release as read from the API server", t.owner.GetName())
	}
	gvk, err := t.c.GroupVersionKindFor(t.owner)
	if err != nil {
		return nil, fmt.Errorf("kind of the owner %s: %w", t.owner.GetName(), err)
	}
	return metav1ac.OwnerReference().
		WithAPIVersion(gvk.GroupVersion().String()).WithKind(gvk.Kind).
		WithName(t.owner.GetName()).WithUID(t.owner.GetUID()).
		WithController(true).WithBlockOwnerDeletion(true), nil
}

// ownedByRelease reports whether an object was created for this Release.
func (t *Target) ownedByRelease(o metav1.Object) bool {
	for _, r := range o.GetOwnerReferences() {
		if r.UID == t.owner.GetUID() {
			return true
		}
	}
	return false
}

// applyDeployment server-side applies <target>-primary or -canary: the
// target's Deployment settings (strategy, minReadySeconds, ...) with the
// given pod template, its user labels as they are plus the role label, the
// target's selector plus the role, the replica count and the revision
// annotation. Applying the same thing again changes nothing on the server.
func (t *Target) applyDeployment(ctx context.Context, role string, target *appsv1.Deployment, tpl corev1.PodTemplateSpec, rev string, replicas int32, ref *metav1ac.OwnerReferenceApplyConfiguration) error {
	name := t.PrimaryName()
	if role == RoleCanary {
		name = t.CanaryName()
	}
	settings := *target.Spec.DeepCopy()
	settings.Replicas, settings.Selector, settings.Paused = nil, nil, false
	settings.Template = corev1.PodTemplateSpec{}
	spec := &appsv1ac.DeploymentSpecApplyConfiguration{}
	if err := convert(settings, spec); err != nil {
		return fmt.Errorf("building Deployment %s/%s: %w", t.ns, name, err)
	}
	spec.Template = nil

	tpl = *tpl.DeepCopy()
	tpl.Labels = maps.Clone(tpl.Labels)
	if tpl.Labels == nil {
		tpl.Labels = map[string]string{}
	}
	tpl.Labels[LabelRole] = role
	tplAC := &corev1ac.PodTemplateSpecApplyConfiguration{}
	if err := convert(tpl, tplAC); err != nil {
		return fmt.Errorf("building Deployment %s/%s: %w", t.ns, name, err)
	}
	sel := &metav1ac.LabelSelectorApplyConfiguration{}
	if err := convert(target.Spec.Selector, sel); err != nil {
		return fmt.Errorf("building Deployment %s/%s: %w", t.ns, name, err)
	}
	sel.WithMatchLabels(map[string]string{LabelRole: role})

	d := appsv1ac.Deployment(name, t.ns).
		WithLabels(t.objectLabels(role)).
		WithAnnotations(map[string]string{AnnotationRevision: rev}).
		WithOwnerReferences(ref).
		WithSpec(spec.WithReplicas(replicas).WithSelector(sel).WithTemplate(tplAC))
	return t.apply(ctx, d, "Deployment", name)
}

// service is the Service <target>-primary or -canary: the Release's port,
// selecting the target's selector labels plus the role.
func (t *Target) service(role string, target *appsv1.Deployment, ref *metav1ac.OwnerReferenceApplyConfiguration) (*corev1ac.ServiceApplyConfiguration, string) {
	name := t.PrimaryName()
	if role == RoleCanary {
		name = t.CanaryName()
	}
	targetPort := t.spec.TargetPort
	if targetPort == 0 {
		targetPort = t.spec.Port
	}
	return corev1ac.Service(name, t.ns).
		WithLabels(t.objectLabels(role)).
		WithOwnerReferences(ref).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(podSelector(target, role)).
			WithPorts(corev1ac.ServicePort().
				WithName(ServicePortName).WithProtocol(corev1.ProtocolTCP).
				WithPort(t.spec.Port).WithTargetPort(intstr.FromInt32(targetPort)))), name
}

// checkServices refuses to take over a Service of the same name that was
// not created for this Release (an existing <target>-canary, say).
func (t *Target) checkServices(ctx context.Context) error {
	for _, name := range []string{t.PrimaryName(), t.CanaryName()} {
		svc := &corev1.Service{}
		err := t.c.Get(ctx, client.ObjectKey{Namespace: t.ns, Name: name}, svc)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return fmt.Errorf("reading Service %s/%s: %w", t.ns, name, err)
		case !t.ownedByRelease(svc):
			return kubeerr.Config(fieldTarget, "Service "+t.ns+"/"+name,
				"Service %s exists but was not created for Release %s; rename or delete it", name, t.release)
		}
	}
	return nil
}

// apply server-side applies an object Sluice owns. Ownership is forced: if
// someone edited a field Sluice sets, Sluice takes it back.
func (t *Target) apply(ctx context.Context, obj runtime.ApplyConfiguration, kind, name string) error {
	if err := t.c.Apply(ctx, obj, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", kind, t.ns, name, err)
	}
	return nil
}

// convert copies a typed object into its apply configuration through JSON,
// which both share field for field.
func convert(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", from, err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		return fmt.Errorf("decoding %T: %w", to, err)
	}
	return nil
}

// userReplicas is how many replicas the target's owner wants, and whether
// that count must be recorded in AnnotationReplicas. A non-zero
// spec.replicas is the owner's when someone other than Sluice set it (Git,
// kubectl scale) or nothing is recorded yet; a count the API server filled
// in by default (the manifest in Git has none) does not override one
// recorded, or written into the annotation in Git.
func userReplicas(target *appsv1.Deployment) (n int32, record bool) {
	cur := replicasOf(target)
	ann, hasAnn := target.Annotations[AnnotationReplicas]
	recorded, err := strconv.ParseInt(ann, 10, 32)
	if err != nil || recorded < 0 {
		hasAnn = false
	}
	switch {
	case cur > 0 && (!hasAnn || replicasSetByOthers(target)):
		return cur, !hasAnn || int32(recorded) != cur
	case hasAnn:
		return int32(recorded), false
	}
	return cur, false
}

// replicasSetByOthers reports whether a field manager other than Sluice
// owns spec.replicas. Defaulted fields have no manager.
func replicasSetByOthers(d *appsv1.Deployment) bool {
	for _, mf := range d.ManagedFields {
		if mf.Manager == FieldOwner || mf.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Spec map[string]json.RawMessage `json:"f:spec"`
		}
		if json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields) != nil {
			continue
		}
		if _, ok := fields.Spec["f:replicas"]; ok {
			return true
		}
	}
	return false
}
