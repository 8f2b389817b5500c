package install

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/test/e2e/envtest"
)

// baseRelease is a valid Kubernetes release; each admission case changes
// one part of it, so a refusal can only come from that change.
const baseRelease = `
apiVersion: sluice.dev/v1alpha1
kind: Release
metadata:
  name: api
spec:
  workload:
    deployments: {stable: api-v1, canary: api-v2}
  traffic:
    istio:
      virtualService: api
      stable: {host: api, subset: v1}
      canary: {host: api, subset: v2}
    match:
      - headers:
          x-canary: {exact: "true"}
  strategy:
    steps:
      - setWeight: 10
      - analysis: {passes: 2}
  analysis:
    interval: 1m
    threshold: 3
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
  webhooks:
    - name: load
      type: rollout
      url: http://loadtester.test/
`

// refusal is one problem the API server must name: the field path and a
// part of the message.
type refusal struct{ field, message string }

// TestAdmission creates releases in a real kube-apiserver with the CRD of
// config/crd: every example is accepted, and each broken spec is refused at
// admission (OpenAPI bounds and CEL rules) with the field path and message
// a person needs to fix it.
func TestAdmission(t *testing.T) {
	env := envtest.Start(t, envtest.WithCRDPaths(filepath.Join(root, generatedCRD)))
	ns := env.NewNamespace(t, "admission")
	create := func(t *testing.T, doc []byte) error {
		t.Helper()
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetNamespace(ns)
		u.SetGenerateName(u.GetName() + "-")
		u.SetName("")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return env.Client.Create(ctx, u)
	}

	t.Run("examples are accepted", func(t *testing.T) {
		for _, name := range yamlFiles(t, "examples/kubernetes") {
			if err := create(t, readFile(t, filepath.Join("examples/kubernetes", name))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("the base release is accepted", func(t *testing.T) {
		if err := create(t, []byte(baseRelease)); err != nil {
			t.Fatalf("the base of the refusal cases is refused itself, so they prove nothing: %v", err)
		}
	})

	for name, tc := range refusedCases {
		t.Run("refused: "+name, func(t *testing.T) {
			err := create(t, patched(t, tc.patch))
			if err == nil {
				t.Fatalf("accepted; want refused with %+v", tc.want)
			}
			var status apierrors.APIStatus
			if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
				t.Fatalf("error %v is not an Invalid error with details", err)
			}
			causes := status.Status().Details.Causes
			for _, want := range tc.want {
				if !hasCause(causes, want) {
					t.Errorf("no cause at %s with %q; the server said: %v", want.field, want.message, err)
				}
			}
		})
	}

	// Mistakes `sluice lint` refuses but the CRD lets through today: each
	// is pinned as accepted so that adding its rule to the Go types'
	// markers shows up here and the case moves to refusedCases.
	for name, tc := range admittedGaps {
		t.Run("gap: "+name, func(t *testing.T) {
			doc := patched(t, tc.patch)
			rel, err := v1alpha1.DecodeRelease(doc)
			if err == nil {
				rel.Default()
				if errs := rel.Validate(); len(errs) > 0 {
					err = errs.ToAggregate()
				}
			}
			if err == nil {
				t.Fatalf("sluice lint accepts it too, so it is no gap")
			}
			if err := create(t, doc); err != nil {
				t.Fatalf("now refused at admission, good: move it to refusedCases with its field path and message: %v", err)
			}
			t.Logf("accepted by the API server; sluice lint says: %v", err)
		})
	}
}

func hasCause(causes []metav1.StatusCause, want refusal) bool {
	for _, c := range causes {
		if c.Field == want.field && strings.Contains(c.Message, want.message) {
			return true
		}
	}
	return false
}

// patched returns baseRelease with a JSON merge patch (written as YAML)
// applied: maps merge, other values replace, null deletes.
func patched(t *testing.T, patch string) []byte {
	t.Helper()
	var base, p map[string]any
	if err := yaml.Unmarshal([]byte(baseRelease), &base); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatalf("patch: %v", err)
	}
	out, err := yaml.Marshal(mergePatch(base, p))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mergePatch(dst, patch map[string]any) map[string]any {
	for k, v := range patch {
		pm, isMap := v.(map[string]any)
		dm, dstMap := dst[k].(map[string]any)
		switch {
		case v == nil:
			delete(dst, k)
		case isMap && dstMap:
			dst[k] = mergePatch(dm, pm)
		default:
			dst[k] = v
		}
	}
	return dst
}

// manyWebhooks is a webhooks list one longer than the CRD allows.
func manyWebhooks() string {
	var b strings.Builder
	b.WriteString("spec:\n  webhooks:\n")
	for i := range 21 {
		fmt.Fprintf(&b, "    - {name: w%d, type: event, url: 'http://hooks.test/'}\n", i)
	}
	return b.String()
}
