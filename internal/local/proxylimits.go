package local

import (
	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/proxy"
)

// proxyLimits maps spec.traffic.proxy.limits onto the proxy's Limits. It
// lives here, not in internal/proxy, because the data plane takes no
// dependency on the API types; a field left unset maps to zero, which the
// proxy reads as its own default (the same numbers Default fills in).
func proxyLimits(t *v1alpha1.ProxyTraffic) proxy.Limits {
	var out proxy.Limits
	if t == nil || t.Limits == nil {
		return out
	}
	l := t.Limits
	if l.MaxURIBytes != nil {
		out.MaxURIBytes = int(*l.MaxURIBytes)
	}
	if l.MaxHeaderBytes != nil {
		out.MaxHeaderBytes = int(*l.MaxHeaderBytes)
	}
	if l.MaxHeaderFields != nil {
		out.MaxHeaderFields = int(*l.MaxHeaderFields)
	}
	if l.MaxBodyBytes != nil {
		out.MaxBodyBytes = *l.MaxBodyBytes
	}
	if l.HeaderTimeout != nil {
		out.HeaderTimeout = l.HeaderTimeout.Duration
	}
	if l.BodyTimeout != nil {
		out.BodyTimeout = l.BodyTimeout.Duration
	}
	if l.IdleTimeout != nil {
		out.IdleTimeout = l.IdleTimeout.Duration
	}
	return out
}
