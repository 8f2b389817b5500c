package sim

import (
	"math"
)

// latencyBounds mirror the embedded proxy's histogram bounds (seconds), so
// the judge and the latency checks see the data they would see in Sluice.
var latencyBounds = []float64{
	0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075,
	0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075,
	0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75,
	1, 1.5, 2, 3, 5, 10, 20, 30,
}

const nBuckets = 33 // len(latencyBounds) + 1: the last bucket is +Inf

// Stable's latency: lognormal with a 50 ms median and a 250 ms p99.
const (
	stableMedian = 0.050
	stableP99    = 0.250
	z99          = 2.3263478740408408 // standard normal 0.99 quantile
)

// Version is how one version behaves: an error probability and a
// lognormal latency.
type Version struct {
	ErrorRate float64
	Median    float64 // seconds
	P99       float64 // seconds
}

func (v Version) sigma() float64 { return math.Log(v.P99/v.Median) / z99 }

// cdf is P(latency ≤ x).
func (v Version) cdf(x float64) float64 {
	return 0.5 * math.Erfc(-(math.Log(x/v.Median))/(v.sigma()*math.Sqrt2))
}

// Scenario is one row group of the results: a traffic level, the two
// versions, how long to watch, and whether the canary is healthy.
type Scenario struct {
	Name  string
	Title string
	RPS   float64
	// Stable and Canary are the versions' behaviour.
	Stable, Canary Version
	// Horizon is how long one run lasts at most, in seconds.
	Horizon int
	// Healthy scenarios measure false rollbacks: the canary equals stable
	// and every method keeps analysing at its last weight until Horizon
	// instead of promoting (a long bake).
	Healthy bool
	// BadIsSlow counts requests slower than stable's p99 as bad; otherwise
	// failed requests are bad.
	BadIsSlow bool
}

func stable() Version {
	return Version{ErrorRate: 0.001, Median: stableMedian, P99: stableP99}
}

// WithErrors is the benchmark's stable version failing the given share of
// requests instead, for models that differ in errors alone.
func WithErrors(rate float64) Version {
	v := stable()
	v.ErrorRate = rate
	return v
}

// Scenarios are the list: three error regressions, two tail latency
// regressions (median unchanged, p99 up), a healthy canary watched for hours,
// and low traffic.
func Scenarios(healthyHours float64, horizon int) []Scenario {
	withErr := func(p float64) Version { v := stable(); v.ErrorRate = p; return v }
	withP99 := func(f float64) Version { v := stable(); v.P99 = stableP99 * f; return v }
	healthy := int(healthyHours * 3600)
	return []Scenario{
		{Name: "error-0.1-to-1", Title: "errors 0.1% → 1%", RPS: 100, Stable: stable(), Canary: withErr(0.01), Horizon: horizon},
		{Name: "error-0.1-to-5", Title: "errors 0.1% → 5%", RPS: 100, Stable: stable(), Canary: withErr(0.05), Horizon: horizon},
		{Name: "error-0.1-to-0.9", Title: "errors 0.1% → 0.9%", RPS: 100, Stable: stable(), Canary: withErr(0.009), Horizon: horizon},
		{Name: "p99-plus-50", Title: "p99 latency +50%", RPS: 100, Stable: stable(), Canary: withP99(1.5), Horizon: horizon, BadIsSlow: true},
		{Name: "p99-plus-200", Title: "p99 latency +200%", RPS: 100, Stable: stable(), Canary: withP99(3), Horizon: horizon, BadIsSlow: true},
		{Name: "healthy", Title: "healthy canary", RPS: 100, Stable: stable(), Canary: stable(), Horizon: healthy, Healthy: true},
		{Name: "low-traffic-0.1-to-5", Title: "1 req/s, errors 0.1% → 5%", RPS: 1, Stable: stable(), Canary: withErr(0.05), Horizon: horizon},
		{Name: "low-traffic-healthy", Title: "1 req/s, healthy canary", RPS: 1, Stable: stable(), Canary: stable(), Horizon: healthy, Healthy: true},
	}
}
