package proxy

import (
	"errors"
	"fmt"
	"maps"
	"net/http/httputil"
	"net/url"
	"strings"
)

// Route says where traffic goes: the two upstreams, the canary's share, and
// the match rules that send chosen requests to the canary whatever the
// weight (A/B testing, or letting testers reach the canary at weight 0).
type Route struct {
	// Stable is the version serving users now; required.
	Stable *url.URL
	// Canary is the version under test. It may be nil only while no traffic
	// can reach it: weight 0 and no match rules.
	Canary *url.URL
	// CanaryWeight is the percent (0..100) of unmatched requests sent to the
	// canary.
	CanaryWeight int32
	// Match sends a request to the canary when it satisfies any one rule.
	Match []MatchRule
}

// version indexes per-version state; stable is the zero value so that an
// unset choice can never send traffic to the canary.
type version uint8

const (
	stable version = iota
	canary
	numVersions
)

// Version names as they appear in metric labels, VersionHeader and the API.
const (
	VersionStable = "stable"
	VersionCanary = "canary"
)

func (v version) String() string {
	if v == canary {
		return VersionCanary
	}
	return VersionStable
}

// compiledRoute is a validated Route with everything a request needs ready:
// matchers, the weight threshold, each upstream's URL parts, and one
// ReverseProxy per upstream for protocol upgrades. It is immutable once
// published, so requests read it without locks. target[v] is nil when the
// route has no upstream for v.
type compiledRoute struct {
	spec      Route
	rules     []rule
	weight    int32
	threshold uint64
	target    [numVersions]*target
	upgrade   [numVersions]*httputil.ReverseProxy
	// pooled is true when every upstream of the route has a fast-path
	// pool (plain http), so the proxy's own server may serve it.
	pooled bool
}

// SetRoute validates r and makes it the route for all new requests. Requests
// already in flight finish against the route they started with, so a weight
// change never fails a request. On error the current route is unchanged.
func (p *Proxy) SetRoute(r Route) error {
	cr, err := p.compile(r)
	if err != nil {
		return fmt.Errorf("proxy route: %w", err)
	}
	p.routeMu.Lock()
	defer p.routeMu.Unlock()
	old := p.route.Swap(cr)
	// A version whose upstream changed starts with a clean record: the
	// failures were the old upstream's.
	if old == nil || urlString(old.spec.Stable) != urlString(cr.spec.Stable) {
		p.outliers.reset(stable)
	}
	if old == nil || urlString(old.spec.Canary) != urlString(cr.spec.Canary) {
		p.outliers.reset(canary)
	}
	if old == nil || old.weight != cr.weight {
		p.log.Debug("proxy route set", "stable", r.Stable.String(), "canary", urlString(r.Canary), "canaryWeight", r.CanaryWeight, "matchRules", len(r.Match))
	}
	return nil
}

// Route returns the route in force, or the zero Route before the first
// SetRoute. Its URLs and rules are copies owned by the proxy: read them, do
// not modify them.
func (p *Proxy) Route() Route {
	if cr := p.route.Load(); cr != nil {
		return cr.spec
	}
	return Route{}
}

func (p *Proxy) compile(r Route) (*compiledRoute, error) {
	if err := validUpstream(r.Stable); err != nil {
		return nil, fmt.Errorf("stable: %w", err)
	}
	if r.CanaryWeight < 0 || r.CanaryWeight > 100 {
		return nil, fmt.Errorf("canaryWeight %d is outside 0..100", r.CanaryWeight)
	}
	if r.Canary == nil {
		if r.CanaryWeight > 0 || len(r.Match) > 0 {
			return nil, errors.New("canary: no URL, but weight or match rules would send traffic to it")
		}
	} else if err := validUpstream(r.Canary); err != nil {
		return nil, fmt.Errorf("canary: %w", err)
	}
	rules, err := compileRules(r.Match)
	if err != nil {
		return nil, err
	}
	cr := &compiledRoute{
		spec:      copyRoute(r),
		rules:     rules,
		weight:    r.CanaryWeight,
		threshold: threshold(r.CanaryWeight),
	}
	versionHeader := !p.opts.DisableVersionHeader
	cr.target[stable] = p.newTarget(cr.spec.Stable, stable, versionHeader)
	cr.upgrade[stable] = p.reverseProxy(stable, cr.spec.Stable, cr.target[stable])
	if cr.spec.Canary != nil {
		cr.target[canary] = p.newTarget(cr.spec.Canary, canary, versionHeader)
		cr.upgrade[canary] = p.reverseProxy(canary, cr.spec.Canary, cr.target[canary])
	}
	cr.pooled = cr.target[stable].pool != nil && (cr.target[canary] == nil || cr.target[canary].pool != nil)
	return cr, nil
}

// pick chooses the version for one request: match rules first, then the
// weight. Matched requests do not advance the weighted sequence, so the
// weight applies exactly to the traffic no rule claimed.
func (cr *compiledRoute) pick(r requestView, s *splitter) version {
	for i := range cr.rules {
		if cr.rules[i].matches(r) {
			return canary
		}
	}
	switch cr.weight {
	case 0:
		return stable
	case 100:
		return canary
	}
	if s.canary(cr.threshold) {
		return canary
	}
	return stable
}

func validUpstream(u *url.URL) error {
	switch {
	case u == nil:
		return errors.New("URL is required")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("URL %q: scheme must be http or https", u.String())
	case u.Host == "":
		return fmt.Errorf("URL %q: host is required", u.String())
	case strings.ContainsAny(u.RawQuery, " \t"):
		// It is forwarded as is in every request line, where a space
		// would end the request target.
		return fmt.Errorf("URL %q: the query must be URL-encoded", u.String())
	}
	return nil
}

func copyRoute(r Route) Route {
	out := Route{CanaryWeight: r.CanaryWeight}
	out.Stable = copyURL(r.Stable)
	out.Canary = copyURL(r.Canary)
	if r.Match != nil {
		out.Match = make([]MatchRule, len(r.Match))
		for i, m := range r.Match {
			out.Match[i] = MatchRule{Headers: maps.Clone(m.Headers), Cookies: maps.Clone(m.Cookies)}
		}
	}
	return out
}

func copyURL(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	c := *u
	if u.User != nil {
		ui := *u.User
		c.User = &ui
	}
	return &c
}

func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}
