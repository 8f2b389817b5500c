package local

import (
	"context"
	"time"

	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/engine"
)

// alertDrain bounds how long a run that ends waits for its last alerts to
// leave: the rollback message is the one people most need, but a dead
// receiver must not hold the exit.
const alertDrain = 5 * time.Second

// setUpAlerts checks spec.alerts once, before anything starts, so a typo
// in a receiver stops `sluice run` with the field at fault instead of
// losing every message of the release.
func (r *Runner) setUpAlerts() error {
	cfgs, err := alerts.ConfigsFromSpec(context.Background(), r.rel.Spec.Alerts, alerts.Sources{Env: r.opts.LookupEnv})
	if err != nil {
		return err //nolint:wrapcheck // already names spec.alerts[i]
	}
	r.alertCfgs = cfgs
	if len(cfgs) > 0 && r.alerts == nil {
		r.alerts = &alerts.Dispatcher{Logger: r.opts.Logger}
	}
	return nil
}

// alert queues the news among a step's events; it never blocks the tick.
func (r *Runner) alert(ctx context.Context, events []engine.Event, now time.Time) {
	r.alerts.NotifyEvents(ctx, r.alertCfgs, r.rel.Namespace, r.rel.Name, r.rel.Status, events, now)
}

// drainAlerts waits, boundedly, for queued alerts and the event and
// post-rollout webhooks in flight.
func (r *Runner) drainAlerts(ctx context.Context) {
	waitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), alertDrain)
	defer cancel()
	r.hooks.drain(waitCtx, alertDrain)
	if r.alerts == nil {
		return
	}
	if err := r.alerts.Wait(waitCtx); err != nil {
		r.opts.Logger.Warn("alerts not sent before exit", "err", err)
	}
}
