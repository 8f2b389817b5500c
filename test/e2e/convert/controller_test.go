package convert

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/test/e2e/envtest"
)

// startController runs `sluice controller` against env until the test ends.
func startController(t *testing.T, env *envtest.Env) {
	t.Helper()
	cmd := exec.Command(sluiceBin, "controller", "--kubeconfig", env.Kubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--prometheus-address", "http://127.0.0.1:9")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("controller output:\n%s", out.String())
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitRelease polls the Release until cond holds.
func waitRelease(t *testing.T, env *envtest.Env, ns, name, what string, cond func(*v1alpha1.Release) bool) *v1alpha1.Release {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	rel := &v1alpha1.Release{}
	for time.Now().Before(deadline) {
		if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, rel); err == nil && cond(rel) {
			return rel
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("release %s/%s never %s: phase %q weight %d, %s, conditions %+v", ns, name, what, rel.Status.Phase, rel.Status.CanaryWeight, rel.Status.Message, rel.Status.Conditions)
	return nil
}

// kubelet marks every Deployment of the namespace ready with its desired
// replicas, as the kubelet and the Deployment controller would.
func kubelet(t *testing.T, env *envtest.Env, ns string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var list appsv1.DeploymentList
			if env.Client.List(ctx, &list, client.InNamespace(ns)) != nil {
				continue
			}
			for i := range list.Items {
				d := &list.Items[i]
				n := int32(1)
				if d.Spec.Replicas != nil {
					n = *d.Spec.Replicas
				}
				st := d.Status
				if st.ObservedGeneration == d.Generation && st.Replicas == n && st.ReadyReplicas == n && st.AvailableReplicas == n && st.UpdatedReplicas == n {
					continue
				}
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n, UpdatedReplicas: n}
				_ = env.Client.Status().Update(ctx, d)
			}
		}
	}()
}

// setImage sets the image of a Deployment's first container.
func setImage(t *testing.T, env *envtest.Env, ns, name, image string) {
	t.Helper()
	for range 10 {
		var d appsv1.Deployment
		if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &d); err != nil {
			t.Fatal(err)
		}
		d.Spec.Template.Spec.Containers[0].Image = image
		if err := env.Client.Update(context.Background(), &d); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("could not set the image of %s/%s", ns, name)
}

// canaryWeight reads the weight a route of a VirtualService sends to host.
func canaryWeight(t *testing.T, env *envtest.Env, ns, name, route, host string) int64 {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"})
	if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	routes, _, _ := unstructured.NestedSlice(u.Object, "spec", "http")
	for _, r := range routes {
		if n, _, _ := unstructured.NestedString(r.(map[string]any), "name"); n != route {
			continue
		}
		dests, _, _ := unstructured.NestedSlice(r.(map[string]any), "route")
		for _, d := range dests {
			if h, _, _ := unstructured.NestedString(d.(map[string]any), "destination", "host"); h == host {
				w, _, _ := unstructured.NestedInt64(d.(map[string]any), "weight")
				return w
			}
		}
	}
	return -1
}
