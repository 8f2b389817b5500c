package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/engine"
)

// Alerter sends a release's news to the receivers in its spec.alerts. It
// must return at once: a rollback never waits on a chat. An error means a
// receiver is misconfigured; the release goes on regardless.
type Alerter interface {
	Alert(ctx context.Context, rel *v1alpha1.Release, events []engine.Event, now time.Time) error
}

// ClusterAlerts is the controller's Alerter: it reads receiver URLs from
// Secrets past the cache (so the controller needs get on secrets, never
// list or watch) and queues the alerts on a shared Dispatcher.
type ClusterAlerts struct {
	Dispatcher *alerts.Dispatcher
	// Reader reads Secrets; the manager's API reader.
	Reader client.Reader
}

var _ Alerter = (*ClusterAlerts)(nil)

// Alert queues the alerts among events. Receivers are resolved only when
// some event is news, so a quiet reconcile reads no Secret.
func (a *ClusterAlerts) Alert(ctx context.Context, rel *v1alpha1.Release, events []engine.Event, now time.Time) error {
	if len(rel.Spec.Alerts) == 0 || !anyNews(rel, events, now) {
		return nil
	}
	// The good receivers are sent the news even when another is broken.
	cfgs, err := alerts.ConfigsFromSpec(ctx, rel.Spec.Alerts, alerts.Sources{Secret: a.secretURL(rel.Namespace)})
	a.Dispatcher.NotifyEvents(ctx, cfgs, rel.Namespace, rel.Name, rel.Status, events, now)
	return err //nolint:wrapcheck // already names spec.alerts[i]
}

func anyNews(rel *v1alpha1.Release, events []engine.Event, now time.Time) bool {
	for _, ev := range events {
		if _, ok := alerts.FromEvent(ev, rel.Namespace, rel.Name, rel.Status, now); ok {
			return true
		}
	}
	return false
}

// secretURL reads one key of a Secret in the release's namespace. Its
// errors name the Secret and key, never the value.
func (a *ClusterAlerts) secretURL(ns string) alerts.URLResolver {
	return func(ctx context.Context, ref v1alpha1.SecretKeyRef) (string, error) {
		if a.Reader == nil {
			return "", errors.New("the controller reads no Secrets")
		}
		var s corev1.Secret
		if err := a.Reader.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, &s); err != nil {
			return "", fmt.Errorf("reading Secret %s/%s: %w", ns, ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok || len(v) == 0 {
			return "", fmt.Errorf("the Secret %s/%s has no key %q", ns, ref.Name, ref.Key)
		}
		return string(v), nil
	}
}

// alert sends a step's news, reporting a misconfigured receiver as a
// warning Event on the release.
func (r *Reconciler) alert(ctx context.Context, stored, rel *v1alpha1.Release, events []engine.Event, now time.Time) {
	if r.Alerts == nil {
		return
	}
	if err := r.Alerts.Alert(ctx, rel, events, now); err != nil {
		r.Recorder.Eventf(stored, nil, corev1.EventTypeWarning, "AlertNotSent", "Alert", "%s", err.Error())
	}
}
