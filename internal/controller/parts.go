package controller

import (
	"context"
	"strings"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// Parts builds one release's parts for the release layer's tick; the real
// implementation talks to the cluster, Prometheus and webhooks.
type Parts interface {
	Build(rel *v1alpha1.Release) (release.Parts, error)
	// Finalizer returns what gives back the replicas Sluice took when the
	// release is deleted.
	Finalizer(rel *v1alpha1.Release) (Finalizing, error)
}

// Finalizing gives back what Sluice took (replicas) when a release is
// deleted, so deleting it never leaves a service without pods.
type Finalizing interface {
	Finalize(ctx context.Context) error
}

// Clock is the time source, injected so tests control it.
type Clock interface{ Now() time.Time }

// CommandAnnotation carries a person's command to the controller, as
// "<command>/<id>" (promote, promote-full, abort, retry). The id makes a
// command apply once: the engine remembers the last one in status.
const CommandAnnotation = "sluice.dev/command"

// parseCommand reads "<command>/<id>" from the command annotation.
func parseCommand(v string) *engine.Command {
	kind, id, ok := strings.Cut(v, "/")
	if !ok || id == "" {
		return nil
	}
	k, ok := engine.ParseCommandKind(kind)
	if !ok {
		return nil
	}
	return &engine.Command{ID: v, Kind: k}
}
