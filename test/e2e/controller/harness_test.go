package controller

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/cli"
	"sluice.dev/sluice/test/e2e/envtest"
)

// sluiceBin is the sluice binary, built once.
var sluiceBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m, envtest.Binary{Package: envtest.SluicePackage, Path: &sluiceBin})
}

// cluster is a real API server with Sluice's CRD, and the controller.
type cluster struct {
	top  *testing.T // the controller outlives subtests
	env  *envtest.Env
	c    client.Client
	ctrl *process
	prom string // Prometheus address given to the controller
}

func startCluster(t *testing.T, promAddr string) *cluster {
	t.Helper()
	scheme, err := cli.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(filepath.Join("..", "..", "..", "config", "crd", "bases")))
	cl := &cluster{top: t, env: env, c: env.Client, prom: promAddr}
	cl.startController(t)
	return cl
}

// process is the controller running as its own process.
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (cl *cluster) startController(t *testing.T) {
	t.Helper()
	cmd := exec.Command(sluiceBin, "controller", "--kubeconfig", cl.env.Kubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--prometheus-address", cl.prom)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	cl.ctrl = p
	cl.top.Cleanup(func() {
		_ = cmd.Process.Kill()
		if err := <-p.done; err != nil {
			cl.top.Logf("controller: %v", err)
		}
		if cl.top.Failed() {
			cl.top.Logf("controller output:\n%s", tail(out.String(), 6000))
		}
	})
}

// killController kills the controller with SIGKILL, as a node failure would.
func (cl *cluster) killController(t *testing.T) {
	t.Helper()
	_ = cl.ctrl.cmd.Process.Kill()
	select {
	case err := <-cl.ctrl.done:
		cl.ctrl.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("controller did not die")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// kubelet marks every Deployment of the namespace ready with its desired
// replicas, as a kubelet and the Deployment controller would.
func (cl *cluster) kubelet(t *testing.T, ns string) {
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
			if cl.c.List(ctx, &list, client.InNamespace(ns)) != nil {
				continue
			}
			for i := range list.Items {
				d := &list.Items[i]
				n := int32(1)
				if d.Spec.Replicas != nil {
					n = *d.Spec.Replicas
				}
				s := d.Status
				if s.ObservedGeneration == d.Generation && s.Replicas == n && s.ReadyReplicas == n && s.AvailableReplicas == n && s.UpdatedReplicas == n {
					continue
				}
				d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, ReadyReplicas: n, AvailableReplicas: n, UpdatedReplicas: n}
				_ = cl.c.Status().Update(ctx, d)
			}
		}
	}()
}

// deployment is a minimal Deployment of the sample app.
func deployment(ns, name string, labels map[string]string, image string) *appsv1.Deployment {
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

func (cl *cluster) create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := cl.c.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
}

// waitRelease polls the release until cond holds.
func (cl *cluster) waitRelease(t *testing.T, ns, name string, timeout time.Duration, what string, cond func(*v1alpha1.Release) bool) *v1alpha1.Release {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var rel v1alpha1.Release
	for time.Now().Before(deadline) {
		if err := cl.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &rel); err == nil && cond(&rel) {
			return &rel
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: phase %s step %d weight %d: %s (conditions %+v)", what, rel.Status.Phase, rel.Status.StepIndex, rel.Status.CanaryWeight, rel.Status.Message, rel.Status.Conditions)
	return nil
}

func phaseIs(p v1alpha1.Phase) func(*v1alpha1.Release) bool {
	return func(r *v1alpha1.Release) bool { return r.Status.Phase == p }
}

// sluice runs the CLI against the test cluster.
func (cl *cluster) sluice(t *testing.T, ns string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, append([]string{"--kube", "--kubeconfig", cl.env.Kubeconfig, "-n", ns}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sluice %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// waitScaled waits until a Deployment wants the given replicas.
func (cl *cluster) waitScaled(t *testing.T, ns, name string, replicas int32) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var d appsv1.Deployment
	for time.Now().Before(deadline) {
		if cl.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &d) == nil && d.Spec.Replicas != nil && *d.Spec.Replicas == replicas {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("deployment %s/%s: replicas %v, want %d", ns, name, d.Spec.Replicas, replicas)
}

// waitImage waits until a Deployment's first container runs image.
func (cl *cluster) waitImage(t *testing.T, ns, name, image string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var d appsv1.Deployment
	for time.Now().Before(deadline) {
		if cl.c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &d) == nil && d.Spec.Template.Spec.Containers[0].Image == image {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("deployment %s/%s: image %s, want %s", ns, name, d.Spec.Template.Spec.Containers[0].Image, image)
}
