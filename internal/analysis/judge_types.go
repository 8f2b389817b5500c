package analysis

import "math"

// ArmSample is what one arm (stable or canary) served during one batch: the
// shell's delta between two reads of its counters, so the judge never has to
// know how often, or how regularly, the shell samples.
type ArmSample struct {
	// Requests served in the batch.
	Requests uint64 `json:"requests"`
	// Errors among those requests (5xx and the like).
	Errors uint64 `json:"errors"`
	// Buckets counts requests per latency bucket, using the bounds given in
	// JudgeConfig.LatencyBounds: Buckets[i] holds latencies in
	// (LatencyBounds[i-1], LatencyBounds[i]] and the last one is +Inf, so
	// len(Buckets) == len(LatencyBounds)+1. Nil when latency is not measured.
	Buckets []uint64 `json:"buckets,omitempty"`
}

// Sub turns two cumulative readings of the same counters into the delta that
// Observe takes. A counter that went backwards (the process behind it
// restarted) yields the new reading itself, as Prometheus' rate() does.
func (a ArmSample) Sub(prev ArmSample) ArmSample {
	reset := a.Requests < prev.Requests || a.Errors < prev.Errors
	if len(a.Buckets) > 0 && !reset {
		reset = len(prev.Buckets) != len(a.Buckets) && len(prev.Buckets) != 0
		for i := 0; !reset && i < len(prev.Buckets); i++ {
			reset = a.Buckets[i] < prev.Buckets[i]
		}
	}
	if reset {
		prev = ArmSample{}
	}
	d := ArmSample{Requests: a.Requests - prev.Requests, Errors: a.Errors - prev.Errors}
	if len(a.Buckets) > 0 {
		d.Buckets = make([]uint64, len(a.Buckets))
		for i, v := range a.Buckets {
			if i < len(prev.Buckets) {
				v -= prev.Buckets[i]
			}
			d.Buckets[i] = v
		}
	}
	return d
}

// JudgeDecision is the judge's answer, in the words the engine acts on.
type JudgeDecision string

const (
	// JudgeFail means the canary is worse than stable, with a false-rollback
	// probability of at most Alpha: roll back now.
	JudgeFail JudgeDecision = "Fail"
	// JudgePass means there is enough evidence that the canary is not worse
	// by a meaningful margin: a step may advance early where the user allows.
	JudgePass JudgeDecision = "Pass"
	// JudgeContinue means neither is proven yet: keep the current weight.
	JudgeContinue JudgeDecision = "Continue"
)

// JudgeVerdict is the decision with the evidence behind it, so that status,
// CLI and dashboard can show people why a release moved or stopped.
type JudgeVerdict struct {
	Decision JudgeDecision `json:"decision"`
	// Reason is one or two sentences for people.
	Reason string `json:"reason"`
	// Evidence has one entry per test (error rate, then one per latency
	// quantile).
	Evidence []Evidence `json:"evidence"`
}

// Evidence is the state of one sequential test. E-values are kept as natural
// logarithms because they grow without bound and JSON has no infinity.
type Evidence struct {
	// Test names the test: "error-rate" or "latency".
	Test string `json:"test"`
	// LogE is ln of the e-value against "the canary is no worse than
	// stable"; the test fails the canary when LogE ≥ ln(FailAt).
	LogE float64 `json:"logE"`
	// FailAt is the e-value that fails the canary: 1/(this test's share of Alpha).
	FailAt float64 `json:"failAt"`
	// PassLogE is ln of the e-value against "the canary is meaningfully
	// worse"; the test is satisfied when PassLogE ≥ ln(PassAt).
	PassLogE float64 `json:"passLogE"`
	// PassAt is 1/PassAlpha.
	PassAt float64 `json:"passAt"`
	// Passed tells whether this test is satisfied for a pass.
	Passed bool `json:"passed"`
	// CanaryRate and StableRate are the observed rates the test compares:
	// the error rate, or the share of requests slower than BoundarySeconds.
	CanaryRate float64 `json:"canaryRate"`
	StableRate float64 `json:"stableRate"`
	// CanaryRequests and StableRequests are the requests the test has seen.
	CanaryRequests uint64 `json:"canaryRequests"`
	StableRequests uint64 `json:"stableRequests"`
	// BoundarySeconds is, for the latency test, the bucket bound nearest to
	// stable's running Quantile (the highest configured) above which the
	// rates are counted.
	BoundarySeconds float64 `json:"boundarySeconds,omitempty"`
	Quantile        float64 `json:"quantile,omitempty"`
}

// EValue is the e-value itself (may be +Inf).
func (e Evidence) EValue() float64 { return math.Exp(e.LogE) }
