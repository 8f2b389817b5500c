package v1alpha1

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
)

func TestDefault(t *testing.T) {
	tests := map[string]struct {
		tc   func(r *Release)
		want func(r *Release)
	}{
		"fills every optional field": {
			tc: func(*Release) {},
			want: func(r *Release) {
				l := r.Spec.Workload.Local
				l.Stable.Version, l.Canary.Version = "stable", "canary"
				l.Stable.HealthPath, l.Canary.HealthPath = "/healthz", "/healthz"
				l.Stable.StartTimeout, l.Canary.StartTimeout = dur(30*time.Second), dur(30*time.Second)
				a := &r.Spec.Analysis
				a.Interval, a.Threshold, a.NoDataTimeout = dur(time.Minute), 5, dur(5*time.Minute)
				a.Metrics[0].Window, a.Metrics[1].Window = dur(time.Minute), dur(time.Minute)
			},
		},
		"keeps values given": {
			tc: func(r *Release) {
				l := r.Spec.Workload.Local
				l.Stable.Version, l.Canary.Version = "v1", "v2"
				l.Stable.HealthPath, l.Canary.HealthPath = "/ready", "/up"
				l.Stable.StartTimeout, l.Canary.StartTimeout = dur(time.Second), dur(2*time.Second)
				a := &r.Spec.Analysis
				a.Interval, a.Threshold, a.NoDataTimeout = dur(10*time.Second), 2, dur(time.Hour)
				a.Metrics[0].Window, a.Metrics[1].Window = dur(time.Second), dur(time.Hour)
			},
			want: func(*Release) {},
		},
		"noDataTimeout follows the interval given": {
			tc: func(r *Release) { r.Spec.Analysis.Interval = dur(10 * time.Second) },
			want: func(r *Release) {
				r.Spec.Analysis.NoDataTimeout = dur(50 * time.Second)
			},
		},
		"invalid interval is kept for Validate and gives no noDataTimeout": {
			tc:   func(r *Release) { r.Spec.Analysis.Interval = dur(-time.Second) },
			want: func(r *Release) { r.Spec.Analysis.NoDataTimeout = nil },
		},
		"analysis step passes": {
			tc: func(r *Release) { r.Spec.Strategy.Steps[1].Analysis.Passes = 0 },
			want: func(r *Release) {
				r.Spec.Strategy.Steps[1].Analysis.Passes = 1
			},
		},
		"proxy limits: every one filled in": {
			tc: func(r *Release) { r.Spec.Traffic.Proxy.Limits = nil },
			want: func(r *Release) {
				r.Spec.Traffic.Proxy.Limits = &ProxyLimits{
					MaxURIBytes: ptr[int32](8192), MaxHeaderBytes: ptr[int32](32768), MaxHeaderFields: ptr[int32](100),
					MaxBodyBytes: ptr[int64](0), HeaderTimeout: dur(10 * time.Second), BodyTimeout: dur(time.Minute),
					IdleTimeout: dur(2 * time.Minute),
				}
			},
		},
		"proxy limits given are kept, the others filled in": {
			tc: func(r *Release) {
				r.Spec.Traffic.Proxy.Limits = &ProxyLimits{MaxBodyBytes: ptr[int64](1 << 20), BodyTimeout: dur(5 * time.Second)}
			},
			want: func(r *Release) {
				l := r.Spec.Traffic.Proxy.Limits
				l.MaxURIBytes, l.MaxHeaderBytes, l.MaxHeaderFields = ptr[int32](8192), ptr[int32](32768), ptr[int32](100)
				l.HeaderTimeout, l.IdleTimeout = dur(10*time.Second), dur(2*time.Minute)
			},
		},
		"judge latency margins": {
			tc: func(r *Release) { r.Spec.Analysis.Judge = &JudgeSpec{Alpha: 0.05} },
			want: func(r *Release) {
				r.Spec.Analysis.Judge.LatencyMargin = ptr(0.2)
				r.Spec.Analysis.Judge.LatencyMarginAbsolute = dur(5 * time.Millisecond)
			},
		},
		"judge latency margins given, zero included, are kept": {
			tc: func(r *Release) {
				r.Spec.Analysis.Judge = &JudgeSpec{LatencyMargin: ptr(0.0), LatencyMarginAbsolute: dur(0)}
			},
			want: func(*Release) {},
		},
		"maxWeight for stepWeight": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10} },
			want: func(r *Release) { r.Spec.Strategy.MaxWeight = 50 },
		},
		"maxWeight given is kept": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeight: 10, MaxWeight: 30} },
			want: func(*Release) {},
		},
		"no maxWeight for stepWeights or steps": {
			tc:   func(r *Release) { r.Spec.Strategy = Strategy{StepWeights: []int32{10, 80}} },
			want: func(*Release) {},
		},
		"no local workload": {
			tc:   func(r *Release) { r.Spec.Workload.Local = nil },
			want: func(*Release) {},
		},
		"webhook timeout": {
			tc: func(r *Release) {
				r.Spec.Webhooks = []Webhook{
					{Name: "a", Type: WebhookRollout, URL: "http://a.test/"},
					{Name: "b", Type: WebhookEvent, URL: "http://b.test/", Timeout: dur(time.Second)},
					{Name: "c", Type: WebhookEvent, URL: "http://c.test/", Timeout: dur(0)},
				}
			},
			want: func(r *Release) { r.Spec.Webhooks[0].Timeout = dur(10 * time.Second) },
		},
		"targetPort from port": {
			tc: func(r *Release) {
				r.Spec.Workload = WorkloadSpec{Target: &TargetWorkload{Deployment: "api", Port: 8080}}
			},
			want: func(r *Release) { r.Spec.Workload.Target.TargetPort = 8080 },
		},
		"targetPort given is kept": {
			tc: func(r *Release) {
				r.Spec.Workload = WorkloadSpec{Target: &TargetWorkload{Deployment: "api", Port: 80, TargetPort: 8080}}
			},
			want: func(*Release) {},
		},
		"no targetPort from an invalid port": {
			tc: func(r *Release) {
				r.Spec.Workload = WorkloadSpec{Target: &TargetWorkload{Deployment: "api", Port: 70000}}
			},
			want: func(*Release) {},
		},
		"nothing for deployments, istio and gatewayAPI": {
			tc: func(r *Release) {
				r.Spec.Workload = WorkloadSpec{Deployments: &DeploymentsWorkload{Stable: "a", Canary: "b"}}
				r.Spec.Traffic = TrafficSpec{
					Istio:      &IstioTraffic{VirtualService: "api", Stable: IstioDestination{Subset: "v1"}, Canary: IstioDestination{Subset: "v2"}},
					GatewayAPI: &GatewayAPITraffic{HTTPRoute: "api"},
				}
				r.Spec.Analysis.Prometheus = &PrometheusSource{}
			},
			want: func(*Release) {},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := validRelease()
			tt.tc(r)
			// Fields the case does not set get the plain defaults.
			want := r.DeepCopy()
			fillPlain(want)
			tt.want(want)

			r.Default()
			if !equality.Semantic.DeepEqual(r, want) {
				t.Errorf("Default():\n got  %+v\n want %+v", r.Spec, want.Spec)
			}
			again := r.DeepCopy()
			again.Default()
			if !equality.Semantic.DeepEqual(again, r) {
				t.Errorf("Default() is not idempotent:\n once  %+v\n twice %+v", r.Spec, again.Spec)
			}
		})
	}
}

// fillPlain sets the defaults of fields still empty, the way a reader of
// the docs would, independently of Default's code.
func fillPlain(r *Release) {
	if l := r.Spec.Workload.Local; l != nil {
		for v, name := range map[*LocalVersion]string{&l.Stable: "stable", &l.Canary: "canary"} {
			if v.Version == "" {
				v.Version = name
			}
			if v.HealthPath == "" {
				v.HealthPath = "/healthz"
			}
			if v.StartTimeout == nil {
				v.StartTimeout = dur(30 * time.Second)
			}
		}
	}
	if t := r.Spec.Workload.Target; t != nil && t.TargetPort == 0 && t.Port > 0 && t.Port < 65536 {
		t.TargetPort = t.Port
	}
	if p := r.Spec.Traffic.Proxy; p != nil {
		if p.Limits == nil {
			p.Limits = &ProxyLimits{}
		}
		l := p.Limits
		if l.MaxURIBytes == nil {
			l.MaxURIBytes = ptr[int32](8192)
		}
		if l.MaxHeaderBytes == nil {
			l.MaxHeaderBytes = ptr[int32](32768)
		}
		if l.MaxHeaderFields == nil {
			l.MaxHeaderFields = ptr[int32](100)
		}
		if l.MaxBodyBytes == nil {
			l.MaxBodyBytes = ptr[int64](0)
		}
		if l.HeaderTimeout == nil {
			l.HeaderTimeout = dur(10 * time.Second)
		}
		if l.BodyTimeout == nil {
			l.BodyTimeout = dur(time.Minute)
		}
		if l.IdleTimeout == nil {
			l.IdleTimeout = dur(2 * time.Minute)
		}
	}
	for i := range r.Spec.Webhooks {
		if r.Spec.Webhooks[i].Timeout == nil {
			r.Spec.Webhooks[i].Timeout = dur(10 * time.Second)
		}
	}
	a := &r.Spec.Analysis
	if a.Interval == nil {
		a.Interval = dur(time.Minute)
	}
	if a.Threshold == 0 {
		a.Threshold = 5
	}
	if a.NoDataTimeout == nil {
		a.NoDataTimeout = dur(5 * a.Interval.Duration)
	}
	for i := range a.Metrics {
		if a.Metrics[i].Window == nil {
			a.Metrics[i].Window = dur(time.Minute)
		}
	}
}
