package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/test/e2e/envtest"
)

var (
	virtualServiceGVK = schema.GroupVersionKind{Group: "networking.istio.io", Version: "v1", Kind: "VirtualService"}
	httpRouteGVK      = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
)

// TestSmokeAPIServer proves the real API server serves the router CRDs and
// the write paths the controller will use: create, a targeted JSON patch,
// server-side apply (with the conflict an atomic route list gives), and a
// server-side dry run that validates without persisting.
func TestSmokeAPIServer(t *testing.T) {
	t.Parallel()
	env := envtest.Start(t)
	for _, crd := range []string{"virtualservices.networking.istio.io", "destinationrules.networking.istio.io", "httproutes.gateway.networking.k8s.io"} {
		if !env.HasCRD(crd) {
			t.Fatalf("CRD %s was not installed", crd)
		}
	}
	ns := env.NewNamespace(t, "smoke")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := env.Client

	t.Run("VirtualService", func(t *testing.T) {
		vs := object(virtualServiceGVK, ns, "api", map[string]any{
			"hosts": []any{"api"},
			"http": []any{map[string]any{
				"name":    "primary",
				"timeout": "5s",
				"route": []any{
					map[string]any{"destination": map[string]any{"host": "api", "subset": "v1"}, "weight": int64(100)},
					map[string]any{"destination": map[string]any{"host": "api", "subset": "v2"}, "weight": int64(0)},
				},
			}},
		})
		if err := c.Create(ctx, vs, client.FieldOwner("user")); err != nil {
			t.Fatalf("create: %v", err)
		}

		// A targeted patch changes one weight and nothing else; the test op
		// makes it fail instead of clobbering a route someone reordered.
		patch := []map[string]any{
			{"op": "test", "path": "/spec/http/0/route/1/destination/subset", "value": "v2"},
			{"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 90},
			{"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 10},
		}
		if err := c.Patch(ctx, vs, client.RawPatch(types.JSONPatchType, mustJSON(t, patch)), client.FieldOwner("sluice")); err != nil {
			t.Fatalf("JSON patch: %v", err)
		}
		got := get(ctx, t, c, virtualServiceGVK, ns, "api")
		if w := weights(t, got, "http", "route"); w != "90/10" {
			t.Errorf("weights after JSON patch = %s, want 90/10", w)
		}
		if timeout, _, _ := unstructured.NestedString(firstRule(t, got, "http"), "timeout"); timeout != "5s" {
			t.Errorf("timeout after JSON patch = %q, want the user's 5s kept", timeout)
		}

		// Istio's http list has no list-map keys, so it is atomic for
		// server-side apply: another manager applying weights conflicts
		// with the user who wrote the routes, and must force ownership.
		applied := object(virtualServiceGVK, ns, "api", map[string]any{
			"http": []any{map[string]any{
				"name":    "primary",
				"timeout": "5s",
				"route": []any{
					map[string]any{"destination": map[string]any{"host": "api", "subset": "v1"}, "weight": int64(50)},
					map[string]any{"destination": map[string]any{"host": "api", "subset": "v2"}, "weight": int64(50)},
				},
			}},
		})
		err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied.DeepCopy()), client.FieldOwner("sluice-apply"))
		if !apierrors.IsConflict(err) {
			t.Errorf("unforced apply over the user's routes: err = %v, want a conflict", err)
		}
		err = c.Apply(ctx, client.ApplyConfigurationFromUnstructured(applied.DeepCopy()), client.FieldOwner("sluice-apply"), client.ForceOwnership)
		if err != nil {
			t.Fatalf("forced apply: %v", err)
		}
		got = get(ctx, t, c, virtualServiceGVK, ns, "api")
		if w := weights(t, got, "http", "route"); w != "50/50" {
			t.Errorf("weights after apply = %s, want 50/50", w)
		}
		if hosts, _, _ := unstructured.NestedStringSlice(got.Object, "spec", "hosts"); len(hosts) != 1 || hosts[0] != "api" {
			t.Errorf("hosts after apply = %v, want the user's [api] kept", hosts)
		}

		// Dry run: validated and answered, but not stored.
		dry := got.DeepCopy()
		if err := unstructured.SetNestedSlice(dry.Object, []any{map[string]any{
			"name":  "primary",
			"route": []any{map[string]any{"destination": map[string]any{"host": "api", "subset": "v2"}, "weight": int64(100)}},
		}}, "spec", "http"); err != nil {
			t.Fatal(err)
		}
		if err := c.Update(ctx, dry, client.DryRunAll); err != nil {
			t.Fatalf("dry-run update: %v", err)
		}
		if w := weights(t, dry, "http", "route"); w != "100" {
			t.Errorf("dry-run answer weights = %s, want 100", w)
		}
		if w := weights(t, get(ctx, t, c, virtualServiceGVK, ns, "api"), "http", "route"); w != "50/50" {
			t.Errorf("weights after dry run = %s, want 50/50 (nothing stored)", w)
		}
	})

	t.Run("HTTPRoute", func(t *testing.T) {
		route := object(httpRouteGVK, ns, "api", map[string]any{
			"parentRefs": []any{map[string]any{"name": "gateway"}},
			"rules": []any{map[string]any{
				"backendRefs": []any{
					map[string]any{"name": "api-stable", "port": int64(80), "weight": int64(100)},
					map[string]any{"name": "api-canary", "port": int64(80), "weight": int64(0)},
				},
			}},
		})
		if err := c.Create(ctx, route, client.FieldOwner("user")); err != nil {
			t.Fatalf("create: %v", err)
		}
		apply := object(httpRouteGVK, ns, "api", map[string]any{
			"rules": []any{map[string]any{
				"backendRefs": []any{
					map[string]any{"name": "api-stable", "port": int64(80), "weight": int64(70)},
					map[string]any{"name": "api-canary", "port": int64(80), "weight": int64(30)},
				},
			}},
		})
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(apply), client.FieldOwner("sluice-apply"), client.ForceOwnership); err != nil {
			t.Fatalf("forced apply: %v", err)
		}
		got := get(ctx, t, c, httpRouteGVK, ns, "api")
		if w := weights(t, got, "rules", "backendRefs"); w != "70/30" {
			t.Errorf("weights after apply = %s, want 70/30", w)
		}
		if refs, _, _ := unstructured.NestedSlice(got.Object, "spec", "parentRefs"); len(refs) != 1 {
			t.Errorf("parentRefs after apply = %v, want the user's one gateway kept", refs)
		}

		// The CRD's validation runs on a dry run too: a negative weight is
		// refused with its field path, and nothing is stored.
		bad := object(httpRouteGVK, ns, "bad", map[string]any{
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "x", "port": int64(80), "weight": int64(-1)}}}},
		})
		err := c.Create(ctx, bad, client.DryRunAll)
		if !apierrors.IsInvalid(err) {
			t.Fatalf("dry-run create with weight -1: err = %v, want Invalid", err)
		}
		t.Logf("refused as expected: %v", err)
		good := object(httpRouteGVK, ns, "dry", map[string]any{"rules": []any{map[string]any{}}})
		if err := c.Create(ctx, good, client.DryRunAll); err != nil {
			t.Fatalf("dry-run create: %v", err)
		}
		err = c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "dry"}, object(httpRouteGVK, "", "", nil))
		if !apierrors.IsNotFound(err) {
			t.Errorf("get after dry-run create: err = %v, want NotFound", err)
		}
	})
}

// TestSmokePrometheus proves the real Prometheus scrapes a local endpoint
// and answers queries on it, within a bounded wait.
func TestSmokePrometheus(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "istio_requests_total", Help: "Requests, as Istio's proxies name them.",
	}, []string{"destination_workload", "response_code"})
	reg.MustRegister(requests)
	requests.WithLabelValues("api", "200").Add(42)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	prom := envtest.StartPrometheus(t, []string{l.Addr().String()})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	v, err := prom.WaitForSeries(ctx, `istio_requests_total{job="`+envtest.ScrapeJob+`",destination_workload="api"}`, 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first series after %s: %v", time.Since(began).Round(time.Millisecond), v)
	if len(v) != 1 || float64(v[0].Value) != 42 || string(v[0].Metric["response_code"]) != "200" {
		t.Errorf("series = %v, want one sample of 42 with response_code 200", v)
	}
}

func object(gvk schema.GroupVersionKind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

func get(ctx context.Context, t *testing.T, c client.Client, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := object(gvk, "", "", nil)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("get %s %s/%s: %v", gvk.Kind, ns, name, err)
	}
	return u
}

func firstRule(t *testing.T, u *unstructured.Unstructured, rules string) map[string]any {
	t.Helper()
	list, _, err := unstructured.NestedSlice(u.Object, "spec", rules)
	if err != nil || len(list) == 0 {
		t.Fatalf("%s: no spec.%s (err %v)", u.GetName(), rules, err)
	}
	rule, ok := list[0].(map[string]any)
	if !ok {
		t.Fatalf("%s: spec.%s[0] is a %T", u.GetName(), rules, list[0])
	}
	return rule
}

// weights renders the first rule's destination weights as "90/10".
func weights(t *testing.T, u *unstructured.Unstructured, rules, dests string) string {
	t.Helper()
	list, _, err := unstructured.NestedSlice(firstRule(t, u, rules), dests)
	if err != nil {
		t.Fatalf("%s: spec.%s[0].%s: %v", u.GetName(), rules, dests, err)
	}
	s := ""
	for i, d := range list {
		w, _, _ := unstructured.NestedFieldNoCopy(d.(map[string]any), "weight")
		if i > 0 {
			s += "/"
		}
		s += fmt.Sprint(w)
	}
	return s
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
