package testutil

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// UserManager is the field manager the tests create objects with, as
// kubectl or a GitOps tool would.
const UserManager = "user"

// Ctx bounds one API-server test, so a hung server fails the test instead
// of the whole run.
func Ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Get reads an object as stored, without typed decoding, so the tests see
// exactly what the router's test operations pin.
func Get(ctx context.Context, t *testing.T, c client.Client, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("reading %s %s: %v", gvk.Kind, name, err)
	}
	return u
}

// UserView is the object minus what the API server itself changes on a
// write (resourceVersion, generation, managedFields): what must be equal
// byte for byte where Sluice did not write.
func UserView(t *testing.T, u *unstructured.Unstructured) map[string]any {
	t.Helper()
	o := runtime.DeepCopyJSON(u.Object)
	md := o["metadata"].(map[string]any)
	for _, k := range []string{"resourceVersion", "generation", "managedFields"} {
		delete(md, k)
	}
	return o
}

// List returns the list at path in o (spec.http, spec.rules), failing the
// test when it is missing.
func List(t *testing.T, o map[string]any, path ...string) []any {
	t.Helper()
	l, ok, err := unstructured.NestedSlice(o, path...)
	if err != nil || !ok {
		t.Fatalf("%v: found=%v err=%v", path, ok, err)
	}
	return l
}

// SetInList replaces key of element i of the list at path in o with the
// value written in YAML, to build an expected object from a stored one.
func SetInList(t *testing.T, o map[string]any, i int, key, value string, path ...string) {
	t.Helper()
	l := List(t, o, path...)
	l[i].(map[string]any)[key] = FromYAML(t, value)
	if err := unstructured.SetNestedSlice(o, l, path...); err != nil {
		t.Fatal(err)
	}
}

// SameObject fails unless got and want are equal as JSON.
func SameObject(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := ToJSON(t, got), ToJSON(t, want)
	if g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// ManagedFieldsOf returns the fields a manager owns, as the nested "f:"
// keys the API server records.
func ManagedFieldsOf(t *testing.T, u *unstructured.Unstructured, manager string) map[string]any {
	t.Helper()
	for _, e := range u.GetManagedFields() {
		if e.Manager != manager || e.FieldsV1 == nil {
			continue
		}
		var set map[string]any
		if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &set); err != nil {
			t.Fatal(err)
		}
		return set
	}
	return nil
}
