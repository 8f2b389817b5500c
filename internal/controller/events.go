package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// recordEvents turns a tick's decisions into Kubernetes Events on the
// release and log lines.
func (r *Reconciler) recordEvents(ctx context.Context, stored *v1alpha1.Release, rec release.Record) {
	log := logf.FromContext(ctx)
	for _, ev := range rec.Events {
		typ := corev1.EventTypeNormal
		if ev.Warning {
			typ = corev1.EventTypeWarning
		}
		msg := ev.Message()
		r.Recorder.Eventf(stored, nil, typ, string(ev.Reason), "Decide", "%s", msg)
		log.Info(msg, "reason", ev.Reason, "phase", rec.Release.Status.Phase, "weight", ev.Weight, "revision", ev.Revision)
	}
}
