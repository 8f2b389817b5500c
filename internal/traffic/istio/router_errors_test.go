package istio

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/kubeerr"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
	"sluice.dev/sluice/internal/traffic/internal/testutil"
	"sluice.dev/sluice/test/e2e/envtest"
)

func testConfigErrors(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "errors")
	createYAML(ctx, t, c, ns, userDR)
	createYAML(ctx, t, c, ns, userVS)
	createYAML(ctx, t, c, ns, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: only-v1}
spec: {host: api, subsets: [{name: v1, labels: {version: v1}}]}
`)
	createYAML(ctx, t, c, ns, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: only-v2}
spec: {host: api, subsets: [{name: v2, labels: {version: v2}}]}
`)
	rv := getVS(ctx, t, c, ns, "api").GetResourceVersion()

	for name, tc := range map[string]struct {
		spec       func(*v1alpha1.IstioTraffic)
		field, obj string
	}{
		"VirtualService missing": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.VirtualService = "nope" },
			field: "spec.traffic.istio.virtualService", obj: "VirtualService " + ns + "/nope",
		},
		"named route missing": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.Routes = []string{"primary", "checkout"} },
			field: "spec.traffic.istio.routes[1]", obj: "VirtualService " + ns + "/api",
		},
		"no stable destination": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.DestinationRule, s.Stable.Subset = "", "v0" },
			field: "spec.traffic.istio.stable", obj: "VirtualService " + ns + "/api",
		},
		"DestinationRule missing": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.DestinationRule = "nope" },
			field: "spec.traffic.istio.destinationRule", obj: "DestinationRule " + ns + "/nope",
		},
		"DestinationRule without the canary subset": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.DestinationRule = "only-v1" },
			field: "spec.traffic.istio.canary.subset", obj: "DestinationRule " + ns + "/only-v1",
		},
		"DestinationRule without the stable subset": {
			spec:  func(s *v1alpha1.IstioTraffic) { s.DestinationRule = "only-v2" },
			field: "spec.traffic.istio.stable.subset", obj: "DestinationRule " + ns + "/only-v2",
		},
	} {
		t.Run(name, func(t *testing.T) {
			spec := subsetsSpec
			tc.spec(&spec)
			r := New(c, ns, spec, nil)
			check := func(call string, err error) {
				t.Helper()
				ce, ok := kubeerr.AsConfig(err)
				if !ok {
					t.Fatalf("%s: err = %v, want a ConfigError", call, err)
				}
				if ce.Field != tc.field || ce.Object != tc.obj {
					t.Errorf("%s: ConfigError at %s about %q, want %s about %q (%v)", call, ce.Field, ce.Object, tc.field, tc.obj, err)
				}
			}
			check("SetWeight", r.SetWeight(ctx, 10))
			_, err := r.Weight(ctx)
			check("Weight", err)
		})
	}
	if got := getVS(ctx, t, c, ns, "api").GetResourceVersion(); got != rv {
		t.Errorf("a refused SetWeight wrote the VirtualService (resourceVersion %s -> %s)", rv, got)
	}
}

// editStable changes the user's stable destination the way a person with
// kubectl edit would: a header on it, inside the route list Sluice pins.
func editStable(ctx context.Context, t *testing.T, c client.Client, ns, value string) {
	t.Helper()
	u := getVS(ctx, t, c, ns, "api")
	http := httpRoutes(t, u.Object)
	dest := http[0].(map[string]any)["route"].([]any)[0].(map[string]any)
	dest["headers"] = map[string]any{"request": map[string]any{"set": map[string]any{"x-edit": value}}}
	if err := unstructured.SetNestedSlice(u.Object, http, "spec", "http"); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, u, client.FieldOwner(testutil.UserManager)); err != nil {
		t.Fatalf("user edit: %v", err)
	}
}

func stableHeader(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	dest := httpRoutes(t, u.Object)[0].(map[string]any)["route"].([]any)[0].(map[string]any)
	v, _, _ := unstructured.NestedString(dest, "headers", "request", "set", "x-edit")
	return v
}

// testConcurrentEdit has the user edit the route list between the
// router's read and its patch: the test operations make the patch fail,
// the router reads again and converges, and the user's edit survives.
func testConcurrentEdit(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "race")
	createYAML(ctx, t, c, ns, userDR)
	createYAML(ctx, t, c, ns, userVS)

	r := New(c, ns, subsetsSpec, nil)
	attempts := 0
	r.beforePatch = func(ctx context.Context, attempt int) {
		attempts = attempt
		if attempt == 1 {
			editStable(ctx, t, c, ns, "once")
		}
	}
	if err := r.SetWeight(ctx, 40); err != nil {
		t.Fatalf("SetWeight(40) with one concurrent edit: %v", err)
	}
	if attempts != 2 {
		t.Errorf("patched on attempt %d, want 2 (the first must fail its test operations)", attempts)
	}
	u := getVS(ctx, t, c, ns, "api")
	if got, err := r.Weight(ctx); err != nil || got != 40 {
		t.Errorf("Weight = %d, %v; want 40", got, err)
	}
	if h := stableHeader(t, u); h != "once" {
		t.Errorf("the user's concurrent edit was lost: header = %q", h)
	}
	checkSplit(t, u)

	// Someone who edits before every patch wins: the router gives up after
	// its bounded attempts and leaves their edit and the old weights.
	r.beforePatch = func(ctx context.Context, attempt int) {
		attempts = attempt
		editStable(ctx, t, c, ns, fmt.Sprint("edit-", attempt))
	}
	err := r.SetWeight(ctx, 70)
	if err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Fatalf("SetWeight(70) against an editor on every attempt: err = %v, want it to give up", err)
	}
	if attempts != routeutil.MaxAttempts {
		t.Errorf("gave up after %d attempts, want %d", attempts, routeutil.MaxAttempts)
	}
	u = getVS(ctx, t, c, ns, "api")
	if h := stableHeader(t, u); h != fmt.Sprint("edit-", routeutil.MaxAttempts) {
		t.Errorf("header = %q, want the user's last edit", h)
	}
	if got, _ := r.Weight(ctx); got != 40 {
		t.Errorf("Weight after giving up = %d, want the previous 40", got)
	}
}

// testStalePatch sends patches planned from a stale read, as a slow
// controller would: the server refuses each, the user's change stays.
func testStalePatch(t *testing.T, env *envtest.Env) {
	ctx, c := testutil.Ctx(t), env.Client
	ns := env.NewNamespace(t, "stale")
	createYAML(ctx, t, c, ns, userDR)
	createYAML(ctx, t, c, ns, userVS)
	r := New(c, ns, subsetsSpec, nil)
	if err := r.SetWeight(ctx, 10); err != nil {
		t.Fatal(err)
	}
	rules := []v1alpha1.MatchRule{{Headers: map[string]v1alpha1.StringMatch{"x-beta": {Exact: "1"}}}}

	// In order: the second case builds on the first's object.
	for _, tc := range []struct {
		name  string
		rules []v1alpha1.MatchRule
		edit  func(http []any) []any
	}{
		{
			name: "weights moved by hand",
			edit: func(http []any) []any {
				list := http[0].(map[string]any)["route"].([]any)
				list[0].(map[string]any)["weight"], list[1].(map[string]any)["weight"] = int64(95), int64(5)
				return http
			},
		},
		{
			name:  "route inserted where the match route goes",
			rules: rules,
			edit: func(http []any) []any {
				return append([]any{map[string]any{"name": "maintenance", "route": []any{
					map[string]any{"destination": map[string]any{"host": "static"}}}}}, http...)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stale := getVS(ctx, t, c, ns, "api")
			vs, err := decodeVirtualService(stale.DeepCopy())
			if err != nil {
				t.Fatal(err)
			}
			targets, err := selectTargets(vs, subsetsSpec)
			if err != nil {
				t.Fatal(err)
			}
			w := int32(20)
			ops, err := plan(vs, targets, subsetsSpec, desired{weight: &w, rules: tc.rules})
			if err != nil || len(ops) == 0 {
				t.Fatalf("plan: %d ops, %v", len(ops), err)
			}

			edited := stale.DeepCopy()
			http := tc.edit(runtime.DeepCopyJSONValue(httpRoutes(t, stale.Object)).([]any))
			if err := unstructured.SetNestedSlice(edited.Object, http, "spec", "http"); err != nil {
				t.Fatal(err)
			}
			if err := c.Update(ctx, edited, client.FieldOwner(testutil.UserManager)); err != nil {
				t.Fatalf("user edit: %v", err)
			}
			userEdit := testutil.UserView(t, getVS(ctx, t, c, ns, "api"))

			err = routeutil.Patch(ctx, c, vs.obj, ops)
			if err == nil || !routeutil.ChangedMeanwhile(err) {
				t.Fatalf("stale patch: err = %v, want the server to refuse it as changed meanwhile", err)
			}
			testutil.SameObject(t, "object after the refused stale patch", testutil.UserView(t, getVS(ctx, t, c, ns, "api")), userEdit)

			// A fresh call converges, keeping the user's change.
			if err := New(c, ns, subsetsSpec, tc.rules).SetWeight(ctx, 20); err != nil {
				t.Fatal(err)
			}
			u := getVS(ctx, t, c, ns, "api")
			checkSplit(t, u)
			if got, err := r.Weight(ctx); err != nil || got != 20 {
				t.Errorf("Weight = %d, %v; want 20", got, err)
			}
			names := []string{}
			for _, rt := range httpRoutes(t, u.Object) {
				n, _ := rt.(map[string]any)["name"].(string)
				names = append(names, n)
			}
			if tc.rules != nil && strings.Join(names, ",") != "maintenance,sluice-canary-match,primary,static" {
				t.Errorf("routes after converging = %v, want the match route right before primary", names)
			}
			if err := New(c, ns, subsetsSpec, nil).RemoveMatch(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
