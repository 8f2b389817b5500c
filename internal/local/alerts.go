package local

import (
	"context"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/release"
)

// alertDrain bounds how long a run that ends waits for its last alerts to
// leave: the rollback message is the one people most need, but a dead
// receiver must not hold the exit.
const alertDrain = 5 * time.Second

// alertConfigs checks spec.alerts once, before anything starts (and again
// for a spec handed over), so a typo in a receiver stops `sluice run` with
// the field at fault instead of losing every message of the release.
func (r *Runner) alertConfigs(spec []v1alpha1.Alert) ([]alerts.Config, error) {
	cfgs, err := alerts.ConfigsFromSpec(context.Background(), spec, alerts.Sources{Env: r.opts.LookupEnv})
	if err != nil {
		return nil, err //nolint:wrapcheck // already names spec.alerts[i]
	}
	if len(cfgs) > 0 && r.alerts == nil {
		r.alerts = &alerts.Dispatcher{Logger: r.opts.Logger}
	}
	return cfgs, nil
}

// alert queues the news among a tick's events; it never blocks the tick.
func (r *Runner) alert(ctx context.Context, rec release.Record) {
	r.mu.Lock()
	cfgs := r.alertCfgs
	r.mu.Unlock()
	rel := rec.Release
	r.alerts.NotifyEvents(ctx, cfgs, rel.Namespace, rel.Name, rel.Status, rec.Events, rec.Now)
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
