package gatewayapi

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
	"sluice.dev/sluice/internal/traffic/internal/routeutil"
)

// Router writes canary weights and match rules into an HTTPRoute the user
// owns and reads them back. It changes only the weights of the selected
// rules' stable and canary backendRefs, adds the canary backendRef when
// missing, and keeps its own match rules; every other field stays as the
// user wrote it.
//
// The client should read from the API server rather than a cache (the
// controller-runtime manager's client does so for unstructured objects by
// default): patches are computed from what was read, and a stale read only
// makes them fail until the attempts run out. The client's scheme needs no
// Gateway API types: objects are handled as unstructured.
type Router struct {
	c         client.Client
	namespace string
	spec      v1alpha1.GatewayAPITraffic
	match     []v1alpha1.MatchRule

	// beforePatch, when set (by tests), runs after the object is read and
	// before the patch computed from it is sent.
	beforePatch func(ctx context.Context, attempt int)
}

var _ release.Router = (*Router)(nil)

// New returns a Router for the Release's spec.traffic.gatewayAPI in
// namespace, with the Release's match rules (nil for none).
func New(c client.Client, namespace string, spec v1alpha1.GatewayAPITraffic, match []v1alpha1.MatchRule) *Router {
	return &Router{c: c, namespace: namespace, spec: spec, match: match}
}

// SetWeight sends canaryWeight percent of each selected rule's traffic to
// the canary and the rest to stable, adding the canary backendRef (with
// the stable one's port, namespace, kind and group) where it is missing;
// at 0 the canary backendRef stays, with weight 0, so the state reads back
// unambiguously. With match rules it also makes sure the match rules are
// in place at every weight, 0 included: they route chosen requests to the
// canary for the whole release, as the embedded proxy does. Without match
// rules it removes any left behind. A call that changes nothing sends
// nothing.
//
// Errors a person must fix are *kubeerr.ConfigError with the Release field.
func (r *Router) SetWeight(ctx context.Context, canaryWeight int32) error {
	return r.Route(ctx, canaryWeight, true)
}

// Route is SetWeight with the match rules in place only when match is
// true: the release layer turns them off once a release has ended or
// while it rolls back, so no request is sent to a canary that is gone.
// A call that changes nothing sends nothing.
func (r *Router) Route(ctx context.Context, canaryWeight int32, match bool) error {
	if canaryWeight < 0 || canaryWeight > 100 {
		return fmt.Errorf("setting canary weight %d: a weight is a percent from 0 to 100", canaryWeight)
	}
	var rules []v1alpha1.MatchRule
	if match {
		rules = r.match
	}
	err := r.update(ctx, false, desired{weight: &canaryWeight, rules: rules})
	if err != nil {
		return fmt.Errorf("setting canary weight %d: %w", canaryWeight, err)
	}
	return nil
}

// RemoveMatch removes Sluice's match rules, leaving weights alone. The
// controller calls it when the release ends (promoted or rolled back),
// after the last SetWeight, so no request is routed by the match rules any
// more; a later SetWeight with match rules would add them again. A missing
// HTTPRoute is not an error here: there is nothing left to clean.
func (r *Router) RemoveMatch(ctx context.Context) error {
	if err := r.update(ctx, true, desired{}); err != nil {
		return fmt.Errorf("removing match rules: %w", err)
	}
	return nil
}

// Weight reads the canary weight the selected rules send, as a percent
// (Gateway API weights are relative, so they are normalised); a rule
// without a canary backendRef sends 0. When the rules disagree (someone
// edited one) it returns the first rule's weight without an error: the
// next SetWeight brings them all back in line. Errors a person must fix
// are *kubeerr.ConfigError, as for SetWeight.
func (r *Router) Weight(ctx context.Context) (int32, error) {
	h, targets, err := r.load(ctx, false)
	if err != nil {
		return 0, fmt.Errorf("reading canary weight: %w", err)
	}
	if h == nil || len(targets) == 0 {
		return 0, nil
	}
	return targets[0].canaryWeight(), nil
}

// load reads the HTTPRoute and, unless onlyMatch, selects the rules to
// weight.
func (r *Router) load(ctx context.Context, onlyMatch bool) (*httpRoute, []target, error) {
	h, err := readHTTPRoute(ctx, r.c, r.namespace, r.spec.HTTPRoute, onlyMatch)
	if err != nil || h == nil || onlyMatch {
		return h, nil, err
	}
	targets, err := selectTargets(h, r.spec)
	if err != nil {
		return nil, nil, err
	}
	return h, targets, nil
}

// update runs the shared read-plan-patch loop on the HTTPRoute: a patch
// whose test operations fail (someone changed what it was computed from)
// is recomputed from a fresh read; any other error is returned at once.
func (r *Router) update(ctx context.Context, onlyMatch bool, want desired) error {
	u := routeutil.Updater{Client: r.c, Object: describe(r.namespace, r.spec.HTTPRoute), BeforePatch: r.beforePatch}
	return u.Update(ctx, func(ctx context.Context) (*unstructured.Unstructured, []routeutil.Op, error) {
		h, targets, err := r.load(ctx, onlyMatch)
		if err != nil || h == nil {
			return nil, nil, err
		}
		ops, err := plan(h, targets, r.spec, want)
		if err != nil {
			return nil, nil, err
		}
		return h.obj, ops, nil
	})
}
