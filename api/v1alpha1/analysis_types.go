package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Built-in metric names, known to every metric source.
const (
	// MetricRequestSuccessRate is the percent of non-5xx responses.
	MetricRequestSuccessRate = "request-success-rate"
	// MetricRequestDuration is the p99 latency in milliseconds.
	MetricRequestDuration = "request-duration"
)

// Analysis is the set of checks run every Interval while traffic moves.
// Every failed check counts; Threshold failed checks roll the release back.
type Analysis struct {
	// Interval between two checks (default 1m).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`

	// Threshold is how many failed checks roll back (default 5).
	// +optional
	// +kubebuilder:validation:Minimum=1
	Threshold int32 `json:"threshold,omitempty"`

	// NoDataTimeout is how long a metric may have no data before each
	// check without data counts as failed (default 5 × Interval). Until
	// then a check without data holds the step; it never passes.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	NoDataTimeout *metav1.Duration `json:"noDataTimeout,omitempty"`

	// Prometheus is where metrics are read on Kubernetes.
	// +optional
	Prometheus *PrometheusSource `json:"prometheus,omitempty"`

	// Judge turns on the statistical judge: it compares canary with stable
	// on every request count, not once per interval, and rolls back as soon
	// as the evidence says the canary is worse. Any failure rolls back,
	// whether from the judge or from the threshold checks.
	// +optional
	Judge *JudgeSpec `json:"judge,omitempty"`

	// Metrics are the values compared with their ranges at each check.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=name
	Metrics []MetricCheck `json:"metrics,omitempty"`
}

// MetricCheck is one metric and the range its value must stay in.
type MetricCheck struct {
	// Name is a built-in metric (request-success-rate, request-duration),
	// or any name for a custom Query.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Query is a PromQL template for a custom metric. It may use
	// {{ namespace }}, {{ target }}, {{ version }} (the canary's workload or
	// subset), {{ window }}; values are escaped for PromQL string literals.
	// +optional
	Query string `json:"query,omitempty"`

	// ThresholdRange is where the value must be for the check to pass.
	ThresholdRange ThresholdRange `json:"thresholdRange"`

	// Window is how far back the value is measured (default 1m).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	Window *metav1.Duration `json:"window,omitempty"`
}

// ThresholdRange bounds a value; at least one side is set.
// +kubebuilder:validation:XValidation:rule="has(self.min) || has(self.max)",message="needs min, max or both"
type ThresholdRange struct {
	// +optional
	Min *float64 `json:"min,omitempty"`
	// +optional
	Max *float64 `json:"max,omitempty"`
}

// JudgeSpec configures the statistical judge (canary against stable).
type JudgeSpec struct {
	// Alpha bounds the probability of rolling back a canary that is no
	// worse than stable, over the whole release (default 0.01).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=0.5
	Alpha float64 `json:"alpha,omitempty"`
	// EarlyPass lets the judge's pass end an analysis step before its
	// checks have passed, so a clearly healthy canary moves on sooner.
	// +optional
	EarlyPass bool `json:"earlyPass,omitempty"`
	// RequirePass holds the promotion until the judge has passed the canary
	// (default true): with too little traffic to tell, nothing is promoted.
	// +optional
	RequirePass *bool `json:"requirePass,omitempty"`
	// MinRequests is the fewest requests each version must serve before the
	// judge may pass (default 500).
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinRequests int64 `json:"minRequests,omitempty"`
	// LatencyMargin is how much slower than stable, as a fraction of
	// stable's latency, the canary may answer before the judge counts it as
	// slower (default 0.2: up to 20% slower). A healthy canary in another
	// process is never exactly as fast as stable, and with enough requests
	// any difference becomes "significant": without a margin the judge
	// rolls back canaries nobody would call slower. 0 turns the relative
	// margin off. The judge applies the margin rounded down to its latency
	// histogram's bucket bounds, which keeps its false-rollback bound exact;
	// where the bounds are further apart than the margin (1.2 to 1.5 times
	// above 100 ms for the embedded proxy), it can round to nothing.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1
	LatencyMargin *float64 `json:"latencyMargin,omitempty"`
	// LatencyMarginAbsolute is the slowdown tolerated in absolute terms
	// (default 5ms), for fast services where a fraction of stable's
	// latency is microseconds; the larger of the two margins applies. 0s
	// turns it off.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	LatencyMarginAbsolute *metav1.Duration `json:"latencyMarginAbsolute,omitempty"`
}

// JudgeRequiresPass reports whether promotion waits for the judge's pass.
func (j *JudgeSpec) JudgeRequiresPass() bool {
	return j != nil && (j.RequirePass == nil || *j.RequirePass)
}
