package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The values Default fills in, exported so docs, the CLI and the engine
// can name the same numbers.
const (
	DefaultInterval       = time.Minute
	DefaultThreshold      = 5
	DefaultNoDataFactor   = 5 // noDataTimeout = DefaultNoDataFactor × interval
	DefaultMetricWindow   = time.Minute
	DefaultMaxWeight      = 50
	DefaultPasses         = 1
	DefaultHealthPath     = "/healthz"
	DefaultStartTimeout   = 30 * time.Second
	DefaultStableVersion  = "stable"
	DefaultCanaryVersion  = "canary"
	DefaultWebhookTimeout = 10 * time.Second
	DefaultAlertTimeout   = 10 * time.Second

	// The proxy's limits (spec.traffic.proxy.limits), the same as
	// internal/proxy's defaults (a test in internal/local keeps them so).
	DefaultProxyMaxURIBytes     = 8 << 10
	DefaultProxyMaxHeaderBytes  = 32 << 10
	DefaultProxyMaxHeaderFields = 100
	DefaultProxyMaxBodyBytes    = 0 // no limit
	DefaultProxyHeaderTimeout   = 10 * time.Second
	DefaultProxyBodyTimeout     = 60 * time.Second
	DefaultProxyIdleTimeout     = 2 * time.Minute

	// DefaultJudgeLatencyMargin and DefaultJudgeLatencyMarginAbsolute are
	// the statistical judge's latency margins (spec.analysis.judge).
	DefaultJudgeLatencyMargin         = 0.2
	DefaultJudgeLatencyMarginAbsolute = 5 * time.Millisecond
)

// Default fills the optional fields left empty, so that what the engine,
// the status and `sluice get` show is what will actually run. It is
// idempotent and never overwrites a value the user gave, even an invalid
// one, so Validate still sees and reports it.
//
// target.targetPort is defaulted to target.port only when the port is
// valid, so that one bad port gives one message, not two. Istio and
// Gateway API settings have no defaults: empty routes or rules mean "every
// route that sends to stable", which the routers resolve.
//
// maxWeight is defaulted only for stepWeight alone: with stepWeights the
// last listed weight is the maximum, and a default of 50 would contradict
// lists that go higher (even when both are set by mistake).
func (r *Release) Default() {
	s := &r.Spec
	if l := s.Workload.Local; l != nil {
		defaultLocalVersion(&l.Stable, DefaultStableVersion)
		defaultLocalVersion(&l.Canary, DefaultCanaryVersion)
	}
	if t := s.Workload.Target; t != nil && t.TargetPort == 0 && t.Port >= 1 && t.Port <= 65535 {
		t.TargetPort = t.Port
	}
	if p := s.Traffic.Proxy; p != nil {
		if p.Limits == nil {
			p.Limits = &ProxyLimits{}
		}
		defaultProxyLimits(p.Limits)
	}

	st := &s.Strategy
	if len(st.Steps) == 0 && len(st.StepWeights) == 0 && st.StepWeight != 0 && st.MaxWeight == 0 {
		st.MaxWeight = DefaultMaxWeight
	}
	for i := range st.Steps {
		if a := st.Steps[i].Analysis; a != nil && a.Passes == 0 {
			a.Passes = DefaultPasses
		}
	}

	a := &s.Analysis
	if a.Interval == nil {
		a.Interval = &metav1.Duration{Duration: DefaultInterval}
	}
	if a.Threshold == 0 {
		a.Threshold = DefaultThreshold
	}
	if a.NoDataTimeout == nil && a.Interval.Duration > 0 {
		a.NoDataTimeout = &metav1.Duration{Duration: DefaultNoDataFactor * a.Interval.Duration}
	}
	for i := range a.Metrics {
		if a.Metrics[i].Window == nil {
			a.Metrics[i].Window = &metav1.Duration{Duration: DefaultMetricWindow}
		}
	}
	if j := a.Judge; j != nil {
		if j.LatencyMargin == nil {
			m := DefaultJudgeLatencyMargin
			j.LatencyMargin = &m
		}
		if j.LatencyMarginAbsolute == nil {
			j.LatencyMarginAbsolute = &metav1.Duration{Duration: DefaultJudgeLatencyMarginAbsolute}
		}
	}

	for i := range s.Alerts {
		a := &s.Alerts[i]
		if a.Severity == "" {
			a.Severity = AlertInfo
		}
		if a.Timeout == nil {
			a.Timeout = &metav1.Duration{Duration: DefaultAlertTimeout}
		}
		if a.URLSecretRef != nil && a.URLSecretRef.Key == "" {
			a.URLSecretRef.Key = DefaultAlertSecretKey
		}
	}
	for i := range s.Webhooks {
		if s.Webhooks[i].Timeout == nil {
			s.Webhooks[i].Timeout = &metav1.Duration{Duration: DefaultWebhookTimeout}
		}
	}
}

func defaultLocalVersion(v *LocalVersion, version string) {
	if v.Version == "" {
		v.Version = version
	}
	if v.HealthPath == "" {
		v.HealthPath = DefaultHealthPath
	}
	if v.StartTimeout == nil {
		v.StartTimeout = &metav1.Duration{Duration: DefaultStartTimeout}
	}
}

func defaultProxyLimits(l *ProxyLimits) {
	if l.MaxURIBytes == nil {
		l.MaxURIBytes = ptrTo[int32](DefaultProxyMaxURIBytes)
	}
	if l.MaxHeaderBytes == nil {
		l.MaxHeaderBytes = ptrTo[int32](DefaultProxyMaxHeaderBytes)
	}
	if l.MaxHeaderFields == nil {
		l.MaxHeaderFields = ptrTo[int32](DefaultProxyMaxHeaderFields)
	}
	if l.MaxBodyBytes == nil {
		l.MaxBodyBytes = ptrTo[int64](DefaultProxyMaxBodyBytes)
	}
	if l.HeaderTimeout == nil {
		l.HeaderTimeout = &metav1.Duration{Duration: DefaultProxyHeaderTimeout}
	}
	if l.BodyTimeout == nil {
		l.BodyTimeout = &metav1.Duration{Duration: DefaultProxyBodyTimeout}
	}
	if l.IdleTimeout == nil {
		l.IdleTimeout = &metav1.Duration{Duration: DefaultProxyIdleTimeout}
	}
}

func ptrTo[T any](v T) *T { return &v }
