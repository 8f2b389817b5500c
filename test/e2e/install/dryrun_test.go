package install

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/test/e2e/envtest"
)

// restricted labels a namespace the way config/default labels its own: pods
// must meet the restricted Pod Security Standard, and a workload whose pod
// template does not is answered with a warning.
var restricted = map[string]string{
	"pod-security.kubernetes.io/enforce": "restricted",
	"pod-security.kubernetes.io/warn":    "restricted",
}

// TestInstallDryRun sends everything `kustomize build config/default` and
// `helm template` produce to a real kube-apiserver. The namespace and the CRD
// are created; every other object is applied with dryRun=All and must be
// accepted as it is, without a warning.
func TestInstallDryRun(t *testing.T) {
	kustomized := kustomizeBuild(t, "config/default")
	helmDefault := helmTemplate(t, "sluice-helm")
	helmOneNamespace := helmTemplate(t, "sluice-helm-ns", "--set", "watchNamespace=team-a", "--set", "replicas=2")
	helmUnsafe := helmTemplate(t, "sluice-helm", "--set", "securityContext.allowPrivilegeEscalation=true")

	env := envtest.Start(t)
	a := newApplier(t, env)

	t.Run("kustomize config/default", func(t *testing.T) {
		if !has(kustomized, "Namespace", installNamespace) {
			t.Fatalf("config/default renders no Namespace %s: %s", installNamespace, describe(kustomized))
		}
		a.install(t, kustomized)
		// The dry run really discarded the controller.
		var d unstructured.Unstructured
		d.SetAPIVersion("apps/v1")
		d.SetKind("Deployment")
		err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: installNamespace, Name: "sluice-controller"}, &d)
		if !apierrors.IsNotFound(err) {
			t.Errorf("after a dry run, getting the Deployment returned %v, want NotFound", err)
		}
	})
	t.Run("helm template", func(t *testing.T) {
		createNamespace(t, env, "sluice-helm", restricted)
		a.install(t, helmDefault)
	})
	t.Run("helm template, one watched namespace", func(t *testing.T) {
		createNamespace(t, env, "sluice-helm-ns", restricted)
		createNamespace(t, env, "team-a", nil)
		a.install(t, helmOneNamespace)
	})
	// Strict field validation is what makes the checks above catch a typo.
	t.Run("a misspelt field is refused", func(t *testing.T) {
		d := find(t, kustomized, "Deployment", "sluice-controller").DeepCopy()
		if err := unstructured.SetNestedField(d.Object, int64(10), "spec", "minReadySecond"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := a.apply(ctx, d, true)
		if err == nil || !strings.Contains(err.Error(), ".spec.minReadySecond: field not declared in schema") {
			t.Fatalf("dry run error = %v, want one naming the undeclared field", err)
		}
	})
	// The checks above would miss a pod template that breaks the restricted
	// standard if the server said nothing; this one must be answered.
	t.Run("a pod template the restricted standard forbids is reported", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		warnings, err := a.apply(ctx, find(t, helmUnsafe, "Deployment", "sluice-controller"), true)
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), "allowPrivilegeEscalation") {
			t.Fatalf("warnings = %q, want one about allowPrivilegeEscalation", warnings)
		}
	})
}

// createNamespace creates a namespace for real; it is kept until the API
// server stops.
func createNamespace(t *testing.T, env *envtest.Env, name string, labels map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}
