package routeutil

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// MaxAttempts bounds the read-patch rounds when someone else keeps
	// editing the object between Sluice's read and its patch.
	MaxAttempts = 5
	// RetryPause is the pause after the first refused patch; it grows
	// linearly with the attempt.
	RetryPause = 50 * time.Millisecond
)

// Plan reads the object and computes the patch that takes it where the
// caller wants. It returns a nil object when there is nothing to patch
// (the object is gone and that is fine), and no ops when the object is
// there already.
type Plan func(ctx context.Context) (read *unstructured.Unstructured, ops []Op, err error)

// Updater runs the read-plan-patch loop both routers share.
type Updater struct {
	Client client.Client
	// Object names the object in errors, as "Kind namespace/name".
	Object string
	// BeforePatch, when set (by tests), runs after the object is read and
	// before the patch computed from it is sent.
	BeforePatch func(ctx context.Context, attempt int)
}

// Update reads, plans and patches until the patch applies, the plan is
// empty, or MaxAttempts run out. A patch the server refuses because the
// object changed meanwhile (see ChangedMeanwhile) is recomputed from a
// fresh read after a growing pause; any other error is returned at once.
func (u Updater) Update(ctx context.Context, plan Plan) error {
	var last error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		read, ops, err := plan(ctx)
		if err != nil || read == nil || len(ops) == 0 {
			return err
		}
		if u.BeforePatch != nil {
			u.BeforePatch(ctx, attempt)
		}
		err = Patch(ctx, u.Client, read, ops)
		if err == nil {
			return nil
		}
		if !ChangedMeanwhile(err) {
			return fmt.Errorf("patching %s: %w", u.Object, err)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("patching %s: %w (after %w)", u.Object, ctx.Err(), last)
		case <-time.After(time.Duration(attempt) * RetryPause):
		}
	}
	return fmt.Errorf("%s kept changing between read and patch, %d attempts: %w", u.Object, MaxAttempts, last)
}
