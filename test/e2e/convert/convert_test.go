package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/cli"
	"sluice.dev/sluice/test/e2e/envtest"
)

// sluiceBin is the sluice binary, built once.
var sluiceBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m, envtest.Binary{Package: envtest.SluicePackage, Path: &sluiceBin})
}

// testdata holds the manifests the converter's own tests use.
const testdata = "../../../internal/convert/testdata"

// TestConvertedObjectsAreAccepted converts each manifest with the sluice
// binary, lints the output with it, and applies every object written (and
// the input objects it leaves unchanged) to a real API server in a
// namespace of its own, with strict field validation and no warning.
func TestConvertedObjectsAreAccepted(t *testing.T) {
	scheme, err := cli.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(filepath.Join("..", "..", "..", "config", "crd", "bases")))
	a := newApplier(t, env)
	files := []string{"flagger-istio.yaml", "flagger-istio-hashing.yaml", "flagger-gatewayapi.yaml", "flagger-bluegreen.yaml",
		"argo-istio-hosts.yaml", "argo-istio-subsets.yaml", "argo-gatewayapi.yaml"}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			out := run(t, nil, 0, "convert", "-f", filepath.Join(testdata, name))
			lint := string(run(t, out, 0, "lint", "-"))
			ns := env.NewNamespace(t, strings.TrimSuffix(name, ".yaml"))
			objs := decode(t, out)
			objs = append(objs, unchanged(t, filepath.Join(testdata, name), objs)...)
			for _, o := range objs {
				a.apply(t, o, ns)
			}
			releases := 0
			for _, o := range objs {
				if o.GetKind() != v1alpha1.Kind {
					continue
				}
				releases++
				rel := &v1alpha1.Release{}
				if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: o.GetName()}, rel); err != nil {
					t.Errorf("reading the Release %s back: %v", o.GetName(), err)
				}
			}
			if oks := strings.Count(lint, "): ok: "); releases == 0 || oks != releases {
				t.Errorf("%d Releases, %d linted ok:\n%s", releases, oks, lint)
			}
			t.Logf("%s: applied %d objects, %d Release(s) accepted and lint clean", name, len(objs), releases)
		})
	}
}

// TestConvertedReleaseIsDriven runs the controller over converted releases
// as a user would go on: apply the output, wait for the release to settle,
// put a new image where the conversion says, and see the first weight of
// the converted steps written into the converted VirtualService.
func TestConvertedReleaseIsDriven(t *testing.T) {
	scheme, err := cli.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	env := envtest.Start(t, envtest.WithScheme(scheme), envtest.WithCRDPaths(filepath.Join("..", "..", "..", "config", "crd", "bases")))
	a := newApplier(t, env)
	startController(t, env)
	tests := map[string]struct {
		release, newImage, vs, route, canaryHost string
	}{
		// Flagger: a new image in the target Deployment (Git) starts a release.
		"flagger-istio.yaml": {release: "podinfo", newImage: "podinfo", vs: "podinfo-svc", route: "main", canaryHost: "podinfo-canary"},
		// Argo: the new image goes on the idle canary Deployment.
		"argo-istio-hosts.yaml": {release: "checkout", newImage: "checkout-canary", vs: "checkout", route: "primary", canaryHost: "checkout-canary"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ns := env.NewNamespace(t, "driven")
			kubelet(t, env, ns)
			out := run(t, nil, 0, "convert", "-f", filepath.Join(testdata, name))
			objs := decode(t, out)
			objs = append(objs, unchanged(t, filepath.Join(testdata, name), objs)...)
			for _, o := range objs {
				a.apply(t, o, ns)
			}
			waitRelease(t, env, ns, tc.release, "waiting for a new version", func(r *v1alpha1.Release) bool {
				return r.Status.Phase == v1alpha1.PhaseWaiting
			})
			setImage(t, env, ns, tc.newImage, "registry.example.com/next:2")
			waitRelease(t, env, ns, tc.release, "progressing", func(r *v1alpha1.Release) bool {
				return r.Status.Phase == v1alpha1.PhaseProgressing && r.Status.CanaryWeight == 5
			})
			if w := canaryWeight(t, env, ns, tc.vs, tc.route, tc.canaryHost); w != 5 {
				t.Errorf("VirtualService %s route %s sends %d%% to %s, want the first step's 5%%", tc.vs, tc.route, w, tc.canaryHost)
			}
			// The converted match rule sends chosen requests to the canary.
			if w := canaryWeight(t, env, ns, tc.vs, "sluice-canary-match", tc.canaryHost); w != 100 {
				t.Errorf("the match route sends %d%% to %s, want 100%%", w, tc.canaryHost)
			}
		})
	}
}

// run runs sluice with stdin and wants the exit code.
func run(t *testing.T, stdin []byte, code int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok { //nolint:errorlint // the exit code is all that is wanted
		got = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if got != code {
		t.Fatalf("sluice %v: exit %d, want %d\n%s%s", args, got, code, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// decode reads the objects of a YAML stream, in order.
func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range v1alpha1.Documents(data) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// unchanged are the objects of the input that convert leaves to be
// applied as they are (a Deployment, a VirtualService), as the last
// comment of its output names them.
func unchanged(t *testing.T, file string, written []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range written {
		seen[o.GetKind()+"/"+o.GetName()] = true
	}
	var out []*unstructured.Unstructured
	for _, o := range decode(t, data) {
		switch o.GetKind() {
		case "Deployment", "VirtualService", "DestinationRule", "Service", "HTTPRoute":
			if !seen[o.GetKind()+"/"+o.GetName()] {
				o.SetResourceVersion("")
				o.SetUID("")
				out = append(out, o)
			}
		}
	}
	return out
}

// applier sends objects as server-side apply requests with strict field
// validation, as kubectl apply --server-side would.
type applier struct {
	env *envtest.Env
	dyn dynamic.Interface
}

func newApplier(t *testing.T, env *envtest.Env) *applier {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = failOnWarning{t: t}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{env: env, dyn: dyn}
}

type failOnWarning struct{ t *testing.T }

func (f failOnWarning) HandleWarningHeader(_ int, _, text string) {
	f.t.Errorf("the API server warned: %s", text)
}

func (a *applier) apply(t *testing.T, o *unstructured.Unstructured, ns string) {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := a.env.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("%s: %v", gvk, err)
	}
	o.SetNamespace(ns)
	data, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = a.dyn.Resource(m.Resource).Namespace(ns).Patch(ctx, o.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "sluice-convert-test", FieldValidation: metav1.FieldValidationStrict, Force: ptr.To(true)})
	if err != nil {
		t.Errorf("%s %s refused: %v", o.GetKind(), o.GetName(), err)
	}
}
