package alerts

import (
	"context"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// NotifyEvents queues an alert for each of an engine step's events that is
// news (see FromEvent), in order, and returns at once: the one call a shell
// makes after each step. st is the status after the step.
func (d *Dispatcher) NotifyEvents(ctx context.Context, cfgs []Config, namespace, release string, st v1alpha1.ReleaseStatus, events []engine.Event, now time.Time) {
	if d == nil || len(cfgs) == 0 {
		return
	}
	for _, ev := range events {
		if a, ok := FromEvent(ev, namespace, release, st, now); ok {
			d.Notify(ctx, cfgs, a)
		}
	}
}
