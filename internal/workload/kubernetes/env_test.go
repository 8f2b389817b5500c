package kubernetes

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/test/e2e/envtest"
)

// TestAgainstAPIServer runs both drivers against a real kube-apiserver.
// One server serves every subtest; each works in a namespace of its own.
func TestAgainstAPIServer(t *testing.T) {
	scheme := k8sruntime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	crds := filepath.Join(filepath.Dir(file), "..", "..", "..", "config", "crd", "bases")
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(crds))
	t.Run("Deployments", func(t *testing.T) { testDeployments(t, env) })
	t.Run("Target", func(t *testing.T) { testTarget(t, env) })
}

// testCtx bounds every call a subtest makes to the API server.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// deployment is a Deployment as a user writes it: selector app=<app>, the
// pod labelled with the app and the extra labels, one container.
func deployment(ns, name, app, image string, replicas int32, podLabels map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": app}
	for k, v := range podLabels {
		labels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"team": "payments"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{"prometheus.io/scrape": "true"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: image,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}}},
			},
		},
	}
}

func create(ctx context.Context, t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(ctx, obj, client.FieldOwner("user")); err != nil {
		t.Fatalf("creating %s: %v", obj.GetName(), err)
	}
}

func getDep(ctx context.Context, t *testing.T, c client.Client, ns, name string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatalf("getting Deployment %s: %v", name, err)
	}
	return d
}

// rollOut does what the missing controller-manager would: it reports every
// replica of the current template as updated, ready and available.
func rollOut(ctx context.Context, t *testing.T, c client.Client, ns, name string) {
	t.Helper()
	d := getDep(ctx, t, c, ns, name)
	n := replicasOf(d)
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation,
		Replicas:           n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
	}
	if err := c.Status().Update(ctx, d); err != nil {
		t.Fatalf("setting the status of Deployment %s: %v", name, err)
	}
}

// wantConfigError checks err is a ConfigError at field.
func wantConfigError(t *testing.T, err error, field string) {
	t.Helper()
	var ce *kubeerr.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *kubeerr.ConfigError at %s", err, field)
	}
	if ce.Field != field {
		t.Errorf("ConfigError field = %q, want %q (%v)", ce.Field, field, ce)
	}
}

// release creates a Release for the workload, so the objects Sluice makes
// have a real owner with a uid.
func release(ctx context.Context, t *testing.T, c client.Client, ns, name string, w v1alpha1.WorkloadSpec) *v1alpha1.Release {
	t.Helper()
	r := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.ReleaseSpec{
			Workload: w,
			Traffic: v1alpha1.TrafficSpec{Istio: &v1alpha1.IstioTraffic{
				VirtualService: "api",
				Stable:         v1alpha1.IstioDestination{Host: "api-primary"},
				Canary:         v1alpha1.IstioDestination{Host: "api-canary"},
			}},
			Strategy: v1alpha1.Strategy{StepWeight: 10, MaxWeight: 50},
		},
	}
	create(ctx, t, c, r)
	return r
}

// toUnstructured turns a typed object into a manifest as a GitOps tool
// would apply it: no status, no server-set metadata.
func toUnstructured(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	delete(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
	return u, nil
}
