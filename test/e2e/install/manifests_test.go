package install

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The namespace both installs use in these tests: kustomize's is fixed by
// config/default, helm's is the test's choice and the same for comparison.
const installNamespace = "sluice-system"

// wantControllerRules is everything the controller may do, written out so
// that widening its permissions is a deliberate change to this list too.
var wantControllerRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"sluice.dev"}, Resources: []string{"releases"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
	{APIGroups: []string{"sluice.dev"}, Resources: []string{"releases/status"}, Verbs: []string{"get", "update", "patch"}},
	{APIGroups: []string{"sluice.dev"}, Resources: []string{"releases/finalizers"}, Verbs: []string{"update"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
	{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	{APIGroups: []string{"networking.istio.io"}, Resources: []string{"virtualservices", "destinationrules"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
	{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"httproutes"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
}

var wantLeaderElectionRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
}

// TestInstallManifests checks what the two installs must agree on and what
// the controller needs from them: least-privilege RBAC bound to the pod's
// ServiceAccount, the controller's flags, probes, hardening, and a metrics
// Service that selects the pod.
func TestInstallManifests(t *testing.T) {
	renders := map[string]struct {
		objs func(*testing.T) []*unstructured.Unstructured
	}{
		"kustomize": {objs: func(t *testing.T) []*unstructured.Unstructured { return kustomizeBuild(t, "config/default") }},
		"helm":      {objs: func(t *testing.T) []*unstructured.Unstructured { return helmTemplate(t, installNamespace) }},
	}
	for name, tc := range renders {
		t.Run(name, func(t *testing.T) {
			objs := tc.objs(t)
			checkRBAC(t, objs)
			checkController(t, objs)
			for _, o := range objs {
				if o.GetNamespace() != "" && o.GetNamespace() != installNamespace {
					t.Errorf("%s/%s is in namespace %q, want %q", o.GetKind(), o.GetName(), o.GetNamespace(), installNamespace)
				}
			}
		})
	}
}

func checkRBAC(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var role rbacv1.ClusterRole
	convert(t, find(t, objs, "ClusterRole", "sluice-controller"), &role)
	if !slices.EqualFunc(role.Rules, wantControllerRules, ruleEqual) {
		t.Errorf("controller ClusterRole rules:\n got %+v\nwant %+v", role.Rules, wantControllerRules)
	}
	var le rbacv1.Role
	convert(t, find(t, objs, "Role", "sluice-leader-election"), &le)
	if le.Namespace != installNamespace || !slices.EqualFunc(le.Rules, wantLeaderElectionRules, ruleEqual) {
		t.Errorf("leader-election Role in %q with rules %+v, want in %q with %+v", le.Namespace, le.Rules, installNamespace, wantLeaderElectionRules)
	}
	for _, o := range objs {
		var r rbacv1.ClusterRole // Role and ClusterRole share the rules field
		if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
			continue
		}
		convert(t, o, &r)
		for _, rule := range r.Rules {
			for _, s := range slices.Concat(rule.APIGroups, rule.Resources, rule.Verbs) {
				if s == "*" {
					t.Errorf("%s/%s grants a wildcard: %+v", o.GetKind(), o.GetName(), rule)
				}
			}
			// Secrets: only the controller, only get (alert URLs by
			// name); never list or watch, which would copy every Secret.
			if slices.Contains(rule.Resources, "secrets") && (o.GetName() != "sluice-controller" || !slices.Equal(rule.Verbs, []string{"get"})) {
				t.Errorf("%s/%s grants access to Secrets beyond the controller's get: %+v", o.GetKind(), o.GetName(), rule)
			}
		}
	}

	var sa corev1.ServiceAccount
	convert(t, find(t, objs, "ServiceAccount", "sluice-controller"), &sa)
	var crb rbacv1.ClusterRoleBinding
	convert(t, find(t, objs, "ClusterRoleBinding", "sluice-controller"), &crb)
	var rb rbacv1.RoleBinding
	convert(t, find(t, objs, "RoleBinding", "sluice-leader-election"), &rb)
	for _, b := range []struct {
		what     string
		ref      rbacv1.RoleRef
		subjects []rbacv1.Subject
		wantRef  rbacv1.RoleRef
	}{
		{"ClusterRoleBinding", crb.RoleRef, crb.Subjects, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "sluice-controller"}},
		{"RoleBinding", rb.RoleRef, rb.Subjects, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "sluice-leader-election"}},
	} {
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: installNamespace}}
		if b.ref != b.wantRef || !slices.Equal(b.subjects, want) {
			t.Errorf("%s binds %+v to %+v, want %+v to %+v", b.what, b.ref, b.subjects, b.wantRef, want)
		}
	}
}

func checkController(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var d appsv1.Deployment
	convert(t, find(t, objs, "Deployment", "sluice-controller"), &d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", d.Spec.Replicas)
	}
	pod := d.Spec.Template
	if d.Spec.Selector == nil || !subset(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("selector %v does not select the pod labels %v", d.Spec.Selector, pod.Labels)
	}
	if pod.Spec.ServiceAccountName != "sluice-controller" {
		t.Errorf("serviceAccountName = %q, want sluice-controller", pod.Spec.ServiceAccountName)
	}
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if !strings.HasPrefix(c.Image, "ghcr.io/sluice-dev/sluice:v") {
		t.Errorf("image = %q, want ghcr.io/sluice-dev/sluice:<version>", c.Image)
	}
	cmd := slices.Concat(c.Command, c.Args)
	for _, want := range []string{"controller", "--leader-elect", "--metrics-bind-address=:8080",
		"--health-probe-bind-address=:8081", "--prometheus-address=http://prometheus.istio-system:9090"} {
		if !slices.Contains(cmd, want) {
			t.Errorf("command %q lacks %q", cmd, want)
		}
	}
	if slices.ContainsFunc(cmd, func(a string) bool { return strings.HasPrefix(a, "--namespace") }) {
		t.Errorf("command %q watches one namespace; the default install watches all", cmd)
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Error("the container has no securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem,
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation,
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Errorf("container securityContext = %+v, want a read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["metrics"] != 8080 || ports["health"] != 8081 {
		t.Errorf("container ports = %v, want metrics 8080 and health 8081", ports)
	}
	for _, p := range []struct {
		what  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString("health") {
			t.Errorf("%s probe = %+v, want GET %s on port health", p.what, p.probe, p.path)
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("no %s request", res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("no %s limit", res)
		}
	}

	var svc corev1.Service
	convert(t, find(t, objs, "Service", "sluice-controller-metrics"), &svc)
	if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, pod.Labels) {
		t.Errorf("metrics Service selects %v, not the controller pod %v", svc.Spec.Selector, pod.Labels)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != intstr.FromString("metrics") {
		t.Errorf("metrics Service ports = %+v, want one to the container port named metrics", svc.Spec.Ports)
	}
}

// ruleEqual compares rules as the API server does: the order of groups,
// resources and verbs within a rule does not matter.
func ruleEqual(a, b rbacv1.PolicyRule) bool {
	same := func(x, y []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(x)), slices.Sorted(slices.Values(y)))
	}
	return same(a.APIGroups, b.APIGroups) && same(a.Resources, b.Resources) && same(a.Verbs, b.Verbs) &&
		same(a.ResourceNames, b.ResourceNames) && same(a.NonResourceURLs, b.NonResourceURLs)
}

// subset reports whether every label of sel is in labels.
func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// convert turns a rendered object into its typed form, refusing fields the
// type does not have (a misspelt field would otherwise vanish here).
func convert(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("%s/%s: %v", u.GetKind(), u.GetName(), err)
	}
}
