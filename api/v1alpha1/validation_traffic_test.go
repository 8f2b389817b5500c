package v1alpha1

import (
	"testing"
	"time"
)

func TestValidateTraffic(t *testing.T) {
	istio := func() *IstioTraffic { return validIstioRelease().Spec.Traffic.Istio }
	gateway := func() *GatewayAPITraffic { return validGatewayRelease().Spec.Traffic.GatewayAPI }
	runValidate(t, map[string]validateCase{
		"no router": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy = nil },
			want: []string{"spec.traffic: exactly one of proxy, istio or gatewayAPI must be set"},
		},
		"two routers": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Traffic.GatewayAPI = gateway() },
			want: []string{"spec.traffic: exactly one of proxy, istio or gatewayAPI must be set, found istio and gatewayAPI"},
		},
		"two routers, each still checked": {
			tc: func(r *Release) {
				r.Spec.Traffic.Istio = istio()
				r.Spec.Traffic.Istio.VirtualService = ""
			},
			want: []string{
				"spec.traffic: exactly one of proxy, istio or gatewayAPI must be set, found proxy and istio",
				"spec.traffic.istio.virtualService: must be set",
			},
		},
		"istio with a local workload": {
			tc: func(r *Release) {
				r.Spec.Traffic.Proxy = nil
				r.Spec.Traffic.Istio = istio()
			},
			want: []string{"spec.traffic.istio: the istio router only works with spec.workload.deployments or spec.workload.target"},
		},
		"gatewayAPI with a local workload": {
			tc: func(r *Release) {
				r.Spec.Traffic.Proxy = nil
				r.Spec.Traffic.GatewayAPI = gateway()
			},
			want: []string{"spec.traffic.gatewayAPI: the gatewayAPI router only works with spec.workload.deployments or spec.workload.target"},
		},
		"proxy limits within bounds": {
			tc: func(r *Release) {
				r.Spec.Traffic.Proxy.Limits = &ProxyLimits{
					MaxURIBytes: ptr[int32](1), MaxHeaderBytes: ptr[int32](1 << 20), MaxHeaderFields: ptr[int32](10000),
					MaxBodyBytes: ptr[int64](0), HeaderTimeout: dur(time.Second), BodyTimeout: dur(time.Hour), IdleTimeout: dur(time.Millisecond),
				}
			},
		},
		"proxy limits out of bounds": {
			tc: func(r *Release) {
				r.Spec.Traffic.Proxy.Limits = &ProxyLimits{
					MaxURIBytes: ptr[int32](0), MaxHeaderBytes: ptr[int32](512), MaxHeaderFields: ptr[int32](20000),
					MaxBodyBytes: ptr[int64](-1), HeaderTimeout: dur(0), BodyTimeout: dur(-time.Second), IdleTimeout: dur(0),
				}
			},
			want: []string{
				"spec.traffic.proxy.limits.maxURIBytes: 0 is below 1",
				"spec.traffic.proxy.limits.maxHeaderBytes: 512 is below 1024",
				"spec.traffic.proxy.limits.maxHeaderFields: 20000 is above 10000",
				"spec.traffic.proxy.limits.maxBodyBytes: -1 is below 0 (0 means no limit)",
				"spec.traffic.proxy.limits.headerTimeout: 0s is not a positive duration",
				"spec.traffic.proxy.limits.bodyTimeout: -1s is not a positive duration",
				"spec.traffic.proxy.limits.idleTimeout: 0s is not a positive duration",
			},
		},
		"proxy with deployments": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio = nil
				r.Spec.Traffic.Proxy = &ProxyTraffic{Listen: "127.0.0.1:8080"}
			},
			want: []string{"spec.traffic.proxy: the proxy router only works with spec.workload.local"},
		},
		"proxy with a target": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.GatewayAPI = nil
				r.Spec.Traffic.Proxy = &ProxyTraffic{Listen: "127.0.0.1:8080"}
			},
			want: []string{"spec.traffic.proxy: the proxy router only works with spec.workload.local"},
		},
		"no pairing check while the workload is ambiguous": {
			tc: func(r *Release) {
				r.Spec.Workload.Deployments = &DeploymentsWorkload{Stable: "a", Canary: "b"}
			},
			want: []string{"spec.workload: exactly one of local, deployments or target must be set, found local and deployments"},
		},
		"match rules with istio": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Match = append(r.Spec.Traffic.Match, MatchRule{Cookies: map[string]StringMatch{"beta": {Prefix: "y"}}})
			},
		},
		"listen missing": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "" },
			want: []string{"spec.traffic.proxy.listen: must be set, such as 127.0.0.1:8080"},
		},
		"listen without port": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "8080" },
			want: []string{`spec.traffic.proxy.listen: "8080" is not a host:port address such as 127.0.0.1:8080`},
		},
		"listen port out of range": {
			tc:   func(r *Release) { r.Spec.Traffic.Proxy.Listen = "localhost:70000" },
			want: []string{`spec.traffic.proxy.listen: port "70000" is not a number from 0 to 65535`},
		},
		"listen on all interfaces": {
			tc: func(r *Release) { r.Spec.Traffic.Proxy.Listen = ":8080" },
		},
		"empty match rule": {
			tc:   func(r *Release) { r.Spec.Traffic.Match = append(r.Spec.Traffic.Match, MatchRule{}) },
			want: []string{"spec.traffic.match[1]: a match rule needs at least one header or cookie"},
		},
		"string match empty": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{} },
			want: []string{"spec.traffic.match[0].headers[X-Canary]: exactly one of exact, prefix or regex must be set"},
		},
		"string match two kinds": {
			tc: func(r *Release) {
				r.Spec.Traffic.Match[0].Cookies = map[string]StringMatch{"beta": {Prefix: "a", Regex: "b"}}
			},
			want: []string{"spec.traffic.match[0].cookies[beta]: exactly one of exact, prefix or regex must be set, found prefix and regex"},
		},
		"regex does not compile": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{Regex: "(a"} },
			want: []string{`spec.traffic.match[0].headers[X-Canary].regex: "(a" is not a valid RE2 expression: missing closing )`},
		},
		"regex not RE2": {
			tc:   func(r *Release) { r.Spec.Traffic.Match[0].Headers["X-Canary"] = StringMatch{Regex: `(?=a)b`} },
			want: []string{`spec.traffic.match[0].headers[X-Canary].regex: "(?=a)b" is not a valid RE2 expression: invalid or unsupported Perl syntax`},
		},
		"bad header and cookie names": {
			tc: func(r *Release) {
				r.Spec.Traffic.Match[0].Headers["x canary"] = StringMatch{Exact: "1"}
				r.Spec.Traffic.Match[0].Cookies = map[string]StringMatch{"a;b": {Exact: "1"}}
			},
			want: []string{
				`spec.traffic.match[0].headers[x canary]: "x canary" is not a valid header name`,
				`spec.traffic.match[0].cookies[a;b]: "a;b" is not a valid cookie name`,
			},
		},

		"istio names missing and invalid": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.VirtualService = "API"
				r.Spec.Traffic.Istio.DestinationRule = "api_rule"
			},
			want: []string{
				`spec.traffic.istio.virtualService: "API" is not a valid VirtualService name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
				`spec.traffic.istio.destinationRule: "api_rule" is not a valid DestinationRule name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
			},
		},
		"istio without routes and destinationRule": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Routes = nil
				r.Spec.Traffic.Istio.DestinationRule = ""
			},
		},
		"istio routes empty and repeated": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Routes = []string{"primary", "", "fallback", "primary", "Any Name/ok"}
			},
			want: []string{
				"spec.traffic.istio.routes[1]: must not be empty: name an HTTP route of the VirtualService",
				`spec.traffic.istio.routes[3]: "primary" is already listed at spec.traffic.istio.routes[0]`,
			},
		},
		"istio destinations empty": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{}
				r.Spec.Traffic.Istio.Canary = IstioDestination{}
			},
			want: []string{
				"spec.traffic.istio.stable: set host, subset or both",
				"spec.traffic.istio.canary: set host, subset or both",
			},
		},
		"istio same subset": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Traffic.Istio.Canary.Subset = "v1" },
			want: []string{`spec.traffic.istio.canary: subset "v1" is also the stable destination; the canary needs another subset or host`},
		},
		"istio same host": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "api"}
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api"}
			},
			want: []string{`spec.traffic.istio.canary: host "api" is also the stable destination; the canary needs another subset or host`},
		},
		"istio same host and subset": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "api", Subset: "v1"}
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api", Subset: "v1"}
			},
			want: []string{`spec.traffic.istio.canary: host "api" subset "v1" is also the stable destination; the canary needs another subset or host`},
		},
		"istio two hosts": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "api-stable"}
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api-canary.prod.svc.cluster.local"}
			},
		},
		"istio subsets of one host": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "API.Example.com", Subset: "v1"}
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api.example.com", Subset: "v2"}
			},
		},
		"istio bare subset against a host": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api-canary"}
			},
			want: []string{`spec.traffic.istio.stable.host: must be set because canary names host "api-canary": give the host that subset "v1" belongs to (the same host for two subsets of one Service), or give canary only a subset too`},
		},
		"istio host and subset against a bare subset": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "api", Subset: "v1"}
			},
			want: []string{`spec.traffic.istio.canary.host: must be set because stable names host "api": give the host that subset "v2" belongs to (the same host for two subsets of one Service), or give stable only a subset too`},
		},
		"istio host and subset names invalid": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.Istio.Stable = IstioDestination{Host: "api_v1", Subset: "V1"}
				r.Spec.Traffic.Istio.Canary = IstioDestination{Host: "api", Subset: "v2.0"}
			},
			want: []string{
				`spec.traffic.istio.stable.host: "api_v1" is not a valid host: use a Service name such as api, or a DNS name such as api.prod.svc.cluster.local`,
				`spec.traffic.istio.stable.subset: "V1" is not a valid subset name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
				`spec.traffic.istio.canary.subset: "v2.0" is not a valid subset name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`,
			},
		},
		"gatewayAPI names missing": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Traffic.GatewayAPI = &GatewayAPITraffic{} },
			want: []string{
				"spec.traffic.gatewayAPI.httpRoute: must be set",
				"spec.traffic.gatewayAPI.stableService: must be set",
				"spec.traffic.gatewayAPI.canaryService: must be set",
			},
		},
		"gatewayAPI names invalid": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				g := r.Spec.Traffic.GatewayAPI
				g.HTTPRoute, g.StableService, g.CanaryService = "api/route", "1api", "api.canary"
			},
			want: []string{
				`spec.traffic.gatewayAPI.httpRoute: "api/route" is not a valid HTTPRoute name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
				`spec.traffic.gatewayAPI.stableService: "1api" is not a valid Service name: use at most 63 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`,
				`spec.traffic.gatewayAPI.canaryService: "api.canary" is not a valid Service name: use at most 63 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`,
			},
		},
		"gatewayAPI same Service": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Traffic.GatewayAPI.CanaryService = "api-primary" },
			want: []string{`spec.traffic.gatewayAPI.canaryService: "api-primary" is also the stable Service; the canary needs a Service of its own`},
		},
		"gatewayAPI rules empty, invalid and repeated": {
			base: validGatewayRelease,
			tc: func(r *Release) {
				r.Spec.Traffic.GatewayAPI.Rules = []string{"main", "", "Main", "main", "canary.v2"}
			},
			want: []string{
				"spec.traffic.gatewayAPI.rules[1]: must not be empty: name a rule of the HTTPRoute",
				`spec.traffic.gatewayAPI.rules[2]: "Main" is not a valid rule name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
				`spec.traffic.gatewayAPI.rules[3]: "main" is already listed at spec.traffic.gatewayAPI.rules[0]`,
			},
		},
		"gatewayAPI without rules": {
			base: validGatewayRelease,
			tc:   func(r *Release) { r.Spec.Traffic.GatewayAPI.Rules = nil },
		},
	})
}
