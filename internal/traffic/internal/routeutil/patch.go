package routeutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the manager recorded in managedFields for what a router
// changes, so users and GitOps tools can see who set a weight.
const FieldOwner = "sluice"

// Op is one RFC 6902 operation. Routers build lists of them with test
// operations first, so a patch computed from a stale read fails whole.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Patch sends ops as a JSON patch to the object read was read from,
// recorded under Sluice's field manager. Only the kind, namespace and name
// of read are used: the patch itself says what changes.
func Patch(ctx context.Context, c client.Client, read *unstructured.Unstructured, ops []Op) error {
	data, err := json.Marshal(ops)
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(read.GroupVersionKind())
	obj.SetNamespace(read.GetNamespace())
	obj.SetName(read.GetName())
	if err := c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, data), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("JSON patch: %w", err)
	}
	return nil
}

// ChangedMeanwhile reports whether a patch failed because the object is
// no longer what it was computed from: a failed test operation or a path
// that is gone (422 without field causes: the server could not apply the
// patch at all), a write conflict, or the object deleted (the next read
// says so as a ConfigError). A 422 with field causes is the schema
// refusing the result, which another attempt would not change.
func ChangedMeanwhile(err error) bool {
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		return false
	}
	d := status.Status().Details
	return d == nil || len(d.Causes) == 0
}

// SameJSON compares two JSON values as the server would store them
// (object keys sorted, numbers by value), so a router can tell that its
// own part of a list is already as wanted and send nothing.
func SameJSON(a, b any) (bool, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("encoding %T: %w", a, err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return false, fmt.Errorf("encoding %T: %w", b, err)
	}
	return bytes.Equal(ja, jb), nil
}
