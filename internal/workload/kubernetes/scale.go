package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// patchReplicas writes spec.replicas and the given annotations (nil values
// delete them) as a JSON merge patch, so no other field of the user's
// Deployment is touched. The resourceVersion in the patch makes it fail
// with a conflict if the Deployment changed since it was read, rather than
// acting on a stale replica count; the next tick reads it again.
func patchReplicas(ctx context.Context, c client.Client, d *appsv1.Deployment, replicas int32, annotations map[string]any) error {
	meta := map[string]any{"resourceVersion": d.ResourceVersion}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	patch := map[string]any{"metadata": meta, "spec": map[string]any{"replicas": replicas}}
	body, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("encoding the patch of Deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	if err := c.Patch(ctx, d, client.RawPatch(types.MergePatchType, body), client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("setting Deployment %s/%s to %d replicas: %w", d.Namespace, d.Name, replicas, err)
	}
	return nil
}

// scaleDown scales a user's Deployment to zero and remembers in
// AnnotationScaledDownFrom how many replicas it had. A Deployment already at
// zero is left alone: there is nothing to remember.
func scaleDown(ctx context.Context, c client.Client, d *appsv1.Deployment) error {
	n := replicasOf(d)
	if n == 0 {
		return nil
	}
	return patchReplicas(ctx, c, d, 0, map[string]any{AnnotationScaledDownFrom: strconv.Itoa(int(n))})
}

// restore undoes scaleDown. If someone scaled the Deployment up meanwhile,
// their count stands and only the stale annotation goes.
func restore(ctx context.Context, c client.Client, d *appsv1.Deployment) error {
	v, ok := d.Annotations[AnnotationScaledDownFrom]
	if !ok {
		return nil
	}
	n := replicasOf(d)
	if n == 0 {
		parsed, err := strconv.ParseInt(v, 10, 32)
		if err != nil || parsed < 0 {
			return fmt.Errorf("annotation %s=%q of Deployment %s/%s is not a replica count", AnnotationScaledDownFrom, v, d.Namespace, d.Name)
		}
		n = int32(parsed)
	}
	return patchReplicas(ctx, c, d, n, map[string]any{AnnotationScaledDownFrom: nil})
}
