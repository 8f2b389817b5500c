package v1alpha1

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The routers, named as in spec.traffic.
const (
	routerProxy      = "proxy"
	routerIstio      = "istio"
	routerGatewayAPI = "gatewayAPI"
)

func validateTraffic(t *TrafficSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, exactlyOne(p, []string{routerProxy, routerIstio, routerGatewayAPI},
		t.Proxy != nil, t.Istio != nil, t.GatewayAPI != nil))
	if t.Proxy != nil {
		errs = appendErr(errs, validateListen(p.Child(routerProxy, "listen"), t.Proxy.Listen))
		if l := t.Proxy.Limits; l != nil {
			errs = append(errs, validateProxyLimits(l, p.Child(routerProxy, "limits"))...)
		}
	}
	if t.Istio != nil {
		errs = append(errs, validateIstio(t.Istio, p.Child(routerIstio))...)
	}
	if t.GatewayAPI != nil {
		errs = append(errs, validateGatewayAPI(t.GatewayAPI, p.Child(routerGatewayAPI))...)
	}
	for i := range t.Match {
		errs = append(errs, validateMatchRule(&t.Match[i], p.Child("match").Index(i))...)
	}
	return errs
}

// validateRouterFits pairs the router with the workload driver: the proxy
// reaches processes and URLs on this machine, the mesh routers reach
// Services in a cluster. It says nothing while either side is ambiguous.
func validateRouterFits(driver string, t *TrafficSpec, p *field.Path) field.ErrorList {
	if driver == "" {
		return nil
	}
	var routers []string
	if t.Proxy != nil {
		routers = append(routers, routerProxy)
	}
	if t.Istio != nil {
		routers = append(routers, routerIstio)
	}
	if t.GatewayAPI != nil {
		routers = append(routers, routerGatewayAPI)
	}
	if len(routers) != 1 {
		return nil
	}
	router := routers[0]
	switch {
	case router == routerProxy && driver != driverLocal:
		return field.ErrorList{field.Forbidden(p.Child(router), "the proxy router only works with spec.workload.local")}
	case router != routerProxy && driver == driverLocal:
		return field.ErrorList{field.Forbidden(p.Child(router), fmt.Sprintf(
			"the %s router only works with spec.workload.deployments or spec.workload.target", router))}
	}
	return nil
}

func validateListen(p *field.Path, listen string) *field.Error {
	if listen == "" {
		return field.Required(p, "must be set, such as 127.0.0.1:8080")
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return field.Invalid(p, listen, fmt.Sprintf("%q is not a host:port address such as 127.0.0.1:8080", listen))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return field.Invalid(p, listen, fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
	return nil
}

// validateProxyLimits mirrors the CRD's bounds: a limit can be raised or
// lowered, never turned off, except the body size, where 0 is no limit.
func validateProxyLimits(l *ProxyLimits, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if l.MaxURIBytes != nil {
		errs = appendErr(errs, intRange(p.Child("maxURIBytes"), *l.MaxURIBytes, 1, 1<<20))
	}
	if l.MaxHeaderBytes != nil {
		errs = appendErr(errs, intRange(p.Child("maxHeaderBytes"), *l.MaxHeaderBytes, 1<<10, 1<<20))
	}
	if l.MaxHeaderFields != nil {
		errs = appendErr(errs, intRange(p.Child("maxHeaderFields"), *l.MaxHeaderFields, 1, 10000))
	}
	if l.MaxBodyBytes != nil && *l.MaxBodyBytes < 0 {
		errs = append(errs, field.Invalid(p.Child("maxBodyBytes"), *l.MaxBodyBytes,
			fmt.Sprintf("%d is below 0 (0 means no limit)", *l.MaxBodyBytes)))
	}
	errs = appendErr(errs, positiveDuration(p.Child("headerTimeout"), l.HeaderTimeout))
	errs = appendErr(errs, positiveDuration(p.Child("bodyTimeout"), l.BodyTimeout))
	errs = appendErr(errs, positiveDuration(p.Child("idleTimeout"), l.IdleTimeout))
	return errs
}

func validateIstio(t *IstioTraffic, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, objectName(p.Child("virtualService"), t.VirtualService, "VirtualService"))
	errs = append(errs, uniqueNames(p.Child("routes"), t.Routes, "an HTTP route of the VirtualService", nil)...)
	if t.DestinationRule != "" {
		errs = appendErr(errs, objectName(p.Child("destinationRule"), t.DestinationRule, "DestinationRule"))
	}
	sp, cp := p.Child("stable"), p.Child("canary")
	errs = append(errs, validateIstioDestination(t.Stable, sp)...)
	errs = append(errs, validateIstioDestination(t.Canary, cp)...)

	s, c := t.Stable, t.Canary
	if s == (IstioDestination{}) || c == (IstioDestination{}) {
		return errs
	}
	switch {
	case s == c:
		errs = append(errs, field.Invalid(cp, describeDestination(c), fmt.Sprintf(
			"%s is also the stable destination; the canary needs another subset or host", describeDestination(c))))
	case s.Host == "" && c.Host != "":
		errs = append(errs, subsetNeedsHost(sp, s, "canary", c))
	case c.Host == "" && s.Host != "":
		errs = append(errs, subsetNeedsHost(cp, c, "stable", s))
	}
	return errs
}

// subsetNeedsHost explains a destination given as a bare subset while the
// other one names a host: a bare subset means "of the host the route
// already sends to", which is only clear when both sides say so.
func subsetNeedsHost(p *field.Path, d IstioDestination, other string, o IstioDestination) *field.Error {
	return field.Required(p.Child("host"), fmt.Sprintf(
		"must be set because %s names host %q: give the host that subset %q belongs to (the same host for two subsets of one Service), or give %s only a subset too",
		other, o.Host, d.Subset, other))
}

func describeDestination(d IstioDestination) string {
	switch {
	case d.Host == "":
		return fmt.Sprintf("subset %q", d.Subset)
	case d.Subset == "":
		return fmt.Sprintf("host %q", d.Host)
	default:
		return fmt.Sprintf("host %q subset %q", d.Host, d.Subset)
	}
}

func validateIstioDestination(d IstioDestination, p *field.Path) field.ErrorList {
	if d.Host == "" && d.Subset == "" {
		return field.ErrorList{field.Required(p, "set host, subset or both")}
	}
	var errs field.ErrorList
	// Hosts are DNS names, which compare without regard to case.
	if d.Host != "" && len(validation.IsDNS1123Subdomain(strings.ToLower(d.Host))) > 0 {
		errs = append(errs, field.Invalid(p.Child("host"), d.Host, fmt.Sprintf(
			"%q is not a valid host: use a Service name such as api, or a DNS name such as api.prod.svc.cluster.local", d.Host)))
	}
	if d.Subset != "" && len(validation.IsDNS1123Label(d.Subset)) > 0 {
		errs = append(errs, field.Invalid(p.Child("subset"), d.Subset, fmt.Sprintf(
			"%q is not a valid subset name: %s", d.Subset, labelRule)))
	}
	return errs
}

func validateGatewayAPI(g *GatewayAPITraffic, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, objectName(p.Child("httpRoute"), g.HTTPRoute, "HTTPRoute"))
	errs = append(errs, uniqueNames(p.Child("rules"), g.Rules, "a rule of the HTTPRoute", validRuleName)...)
	errs = appendErr(errs, serviceName(p.Child("stableService"), g.StableService))
	errs = appendErr(errs, serviceName(p.Child("canaryService"), g.CanaryService))
	if g.StableService != "" && g.CanaryService == g.StableService {
		errs = append(errs, field.Invalid(p.Child("canaryService"), g.CanaryService, fmt.Sprintf(
			"%q is also the stable Service; the canary needs a Service of its own", g.CanaryService)))
	}
	return errs
}

// validRuleName checks an HTTPRoute rule name, which Gateway API writes
// like a DNS subdomain.
func validRuleName(p *field.Path, name string) *field.Error {
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return field.Invalid(p, name, fmt.Sprintf("%q is not a valid rule name: %s", name, subdomainRule))
	}
	return nil
}
