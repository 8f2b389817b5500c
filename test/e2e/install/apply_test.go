package install

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/test/e2e/envtest"
)

// fieldManager owns what the tests apply, as kubectl's would.
const fieldManager = "sluice-install-test"

// crdTimeout bounds how long a new CRD may take to be served.
const crdTimeout = 60 * time.Second

// applier sends rendered objects to the API server as server-side apply
// requests, the way `kubectl apply --server-side` does, with strict field
// validation so an unknown or duplicated field is an error, not a warning.
type applier struct {
	env    *envtest.Env
	mapper meta.RESTMapper
	dyn    dynamic.Interface
}

func newApplier(t *testing.T, env *envtest.Env) *applier {
	t.Helper()
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandlerWithContext = warningCollector{}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	return &applier{env: env, mapper: env.Client.RESTMapper(), dyn: dyn}
}

// apply sends one object; dryRun asks the server to run every stage of the
// request (defaulting, validation, admission) and then discard it. It
// returns the warnings the server sent with its answer.
func (a *applier) apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) ([]string, error) {
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("the API server does not serve %s: %w", gvk, err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	namespaced := m.Scope.Name() == meta.RESTScopeNameNamespace
	switch {
	case namespaced && u.GetNamespace() == "":
		// kubectl would put it in whatever namespace is current.
		return nil, fmt.Errorf("namespaced object without metadata.namespace")
	case !namespaced && u.GetNamespace() != "":
		return nil, fmt.Errorf("cluster-scoped object with metadata.namespace %q", u.GetNamespace())
	case namespaced:
		ri = a.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager, FieldValidation: metav1.FieldValidationStrict, Force: ptr.To(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	var warnings []string
	_, err = ri.Patch(withWarnings(ctx, &warnings), u.GetName(), types.ApplyPatchType, data, opts)
	return warnings, err
}

// install applies the objects of one render: namespaces and CRDs for real
// (everything else needs them), then every other object as a dry run. Each
// must be accepted without a warning.
func (a *applier) install(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first := func(o *unstructured.Unstructured) bool {
		return o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition"
	}
	var crds []string
	for _, o := range objs {
		if !first(o) {
			continue
		}
		a.check(t, o, false)
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.GetName())
		}
	}
	for _, name := range crds {
		a.waitServed(t, ctx, name)
	}
	for _, o := range objs {
		if !first(o) {
			a.check(t, o, true)
		}
	}
	t.Logf("sent %d objects: %s", len(objs), describe(objs))
}

// check applies one object and reports a refusal or warning as an error.
func (a *applier) check(t *testing.T, o *unstructured.Unstructured, dryRun bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	warnings, err := a.apply(ctx, o, dryRun)
	what := fmt.Sprintf("%s %s/%s", o.GetAPIVersion(), o.GetKind(), o.GetName())
	if err != nil {
		t.Errorf("%s refused: %v", what, err)
	}
	for _, w := range warnings {
		t.Errorf("%s accepted with a warning: %s", what, w)
	}
}

// waitServed waits until the CRD is established and its kind resolves, so
// the objects that use it can be sent.
func (a *applier) waitServed(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	deadline := time.Now().Add(crdTimeout)
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		err := a.env.Client.Get(ctx, client.ObjectKey{Name: name}, &crd)
		if err == nil && established(&crd) {
			gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
			if _, err = a.mapper.RESTMapping(gk); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD %s not served after %s: %v", name, crdTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return slices.ContainsFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
		return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
	})
}

// warningCollector hands each warning the server sends to the list that
// the request's context carries, so concurrent requests do not mix theirs.
type warningCollector struct{}

var _ rest.WarningHandlerWithContext = warningCollector{}

type warningsKey struct{}

type warningList struct {
	mu   sync.Mutex
	list *[]string
}

func withWarnings(ctx context.Context, into *[]string) context.Context {
	return context.WithValue(ctx, warningsKey{}, &warningList{list: into})
}

func (warningCollector) HandleWarningHeaderWithContext(ctx context.Context, _ int, _, text string) {
	if l, ok := ctx.Value(warningsKey{}).(*warningList); ok {
		l.mu.Lock()
		*l.list = append(*l.list, text)
		l.mu.Unlock()
	}
}
