package sim

import (
	"math"
	"sort"
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
	// slowSigma is the spread of the slow requests of Version.SlowShare:
	// about ±10% around Slow.
	slowSigma = 0.1
)

// Version is how one version behaves: an error probability and a
// lognormal latency, optionally with a share of requests that are slow
// (stuck on a lock, a cold cache) around one latency.
type Version struct {
	ErrorRate float64
	Median    float64 // seconds
	P99       float64 // seconds
	// SlowShare of the requests take about Slow seconds instead.
	SlowShare float64
	Slow      float64
}

func (v Version) sigma() float64 { return math.Log(v.P99/v.Median) / z99 }

// cdf is P(latency ≤ x).
func (v Version) cdf(x float64) float64 {
	body := 0.5 * math.Erfc(-(math.Log(x/v.Median))/(v.sigma()*math.Sqrt2))
	if v.SlowShare == 0 {
		return body
	}
	slow := 0.5 * math.Erfc(-(math.Log(x/v.Slow))/(slowSigma*math.Sqrt2))
	return (1-v.SlowShare)*body + v.SlowShare*slow
}

// Shift changes a scenario from second From on: the versions' behaviour,
// and the traffic as a multiple of the scenario's RPS.
type Shift struct {
	From           int
	Stable, Canary Version
	// Load multiplies Scenario.RPS; zero means one.
	Load float64
}

// Scenario is one row group of the results: a traffic level, the two
// versions, how long to watch, and whether the canary is healthy.
type Scenario struct {
	Name  string
	Title string
	RPS   float64
	// Stable and Canary are the versions' behaviour from the start.
	Stable, Canary Version
	// Shifts change the behaviour or the traffic later, in order of From.
	Shifts []Shift
	// Horizon is how long one run lasts at most, in seconds.
	Horizon int
	// Healthy scenarios measure false rollbacks: the canary is no worse
	// than stable at any time, and every method keeps analysing at its
	// last weight until Horizon instead of promoting (a long bake).
	Healthy bool
	// Hold keeps the canary at this weight (percent, a multiple of 10) for
	// every method, which never promote: the held-weight streams of issue
	// 14. Zero follows the shared plan (10% up to 50%).
	Hold int
	// Bake keeps every method analysing at its last weight until Horizon
	// instead of promoting, as in healthy scenarios, for a bad canary whose
	// badness comes late (a burst after the judge has passed).
	Bake bool
	// BadIsSlow counts requests slower than BadAbove (default stable's
	// p99) as bad; otherwise failed requests are bad.
	BadIsSlow bool
	BadAbove  float64
	// EventAt is when the scenario's event starts (a burst), in seconds;
	// rows then also say how often the judge had passed before it.
	EventAt int
}

// badAbove is the latency above which a request is bad.
func (sc Scenario) badAbove() float64 {
	if sc.BadAbove > 0 {
		return sc.BadAbove
	}
	return stableP99
}

// phase is one stretch of a scenario with fixed behaviour, its samplers
// built once and shared by every seed (they are read-only).
type phase struct {
	from           int
	stable, canary *sampler
	identical      bool
	load           float64
	rps            float64
	badRate        float64 // the canary's share of bad requests
}

// phases builds the scenario's stretches of fixed behaviour.
func (sc Scenario) phases() []phase {
	shifts := append([]Shift{{From: 0, Stable: sc.Stable, Canary: sc.Canary, Load: 1}}, sc.Shifts...)
	sort.SliceStable(shifts, func(i, j int) bool { return shifts[i].From < shifts[j].From })
	ps := make([]phase, 0, len(shifts))
	cache := map[Version]*sampler{}
	get := func(v Version) *sampler {
		if s, ok := cache[v]; ok {
			return s
		}
		s := newSampler(v, sc.BadIsSlow, sc.badAbove())
		cache[v] = s
		return s
	}
	for _, s := range shifts {
		load := s.Load
		if load == 0 {
			load = 1
		}
		p := phase{from: s.From, stable: get(s.Stable), canary: get(s.Canary), load: load, rps: sc.RPS * load}
		p.identical = p.stable.same(p.canary)
		p.badRate = s.Canary.ErrorRate
		if sc.BadIsSlow {
			p.badRate = 1 - s.Canary.cdf(sc.badAbove())
		}
		ps = append(ps, p)
	}
	return ps
}

// phaseAt is the index of the phase in force at second t (1-based: the
// second that ends at t).
func phaseAt(ps []phase, t int) int {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].from >= t }) - 1
	return max(0, i)
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
