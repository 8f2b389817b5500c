package sim

import "math"

// BurstAt is when the burst of the burst-after-pass scenario starts: late
// enough that the judge has passed the healthy canary in nearly every run.
const BurstAt = 20 * 60

// LateBurstAt is when the late-burst scenario's burst starts: after an
// hour of a healthy canary at a stable error rate of 1%, the evidence a
// plain product of likelihood ratios has gathered against every "worse"
// alternative is deep enough to hide a 30 s burst.
const LateBurstAt = 60 * 60

// Scenarios are the benchmark's list: error and latency regressions on the
// shared plan at 100 req/s, healthy canaries watched for hours, low
// traffic (on the plan, and held at 10% of 2 req/s as issue 14 measured
// it), bursts after the judge has passed, and what a real service sees
// besides: daily traffic with load-dependent errors, a canary that starts
// slow, a blip of stable's own, and one that hits both versions.
func Scenarios(healthyHours float64, horizon int) []Scenario {
	withErr := func(p float64) Version { v := stable(); v.ErrorRate = p; return v }
	withP99 := func(f float64) Version { v := stable(); v.P99 = stableP99 * f; return v }
	healthy := int(healthyHours * 3600)
	s := stable()
	return []Scenario{
		{Name: "error-0.1-to-1", Title: "errors 0.1% → 1%", RPS: 100, Stable: s, Canary: withErr(0.01), Horizon: horizon},
		{Name: "error-0.1-to-5", Title: "errors 0.1% → 5%", RPS: 100, Stable: s, Canary: withErr(0.05), Horizon: horizon},
		{Name: "error-0.1-to-0.9", Title: "errors 0.1% → 0.9%", RPS: 100, Stable: s, Canary: withErr(0.009), Horizon: horizon},
		{Name: "p99-plus-50", Title: "p99 latency +50%", RPS: 100, Stable: s, Canary: withP99(1.5), Horizon: horizon, BadIsSlow: true},
		{Name: "p99-plus-200", Title: "p99 latency +200%", RPS: 100, Stable: s, Canary: withP99(3), Horizon: horizon, BadIsSlow: true},
		{Name: "p50-plus-30", Title: "p50 latency +30%, p99 unchanged (bad: slower than stable's median)", RPS: 100, Stable: s,
			Canary: Version{ErrorRate: 0.001, Median: stableMedian * 1.3, P99: stableP99}, Horizon: horizon, BadIsSlow: true, BadAbove: stableMedian},
		{Name: "slow-2pct-750ms", Title: "2% of requests at ~750 ms", RPS: 100, Stable: s,
			Canary: Version{ErrorRate: 0.001, Median: stableMedian, P99: stableP99, SlowShare: 0.02, Slow: 0.75}, Horizon: horizon, BadIsSlow: true},
		{Name: "slower-10pct", Title: "canary 10% slower throughout (within a 20% margin)", RPS: 100, Stable: s,
			Canary: Version{ErrorRate: 0.001, Median: stableMedian * 1.1, P99: stableP99 * 1.1}, Horizon: horizon, BadIsSlow: true},
		{Name: "healthy", Title: "healthy canary", RPS: 100, Stable: s, Canary: s, Horizon: healthy, Healthy: true},
		{Name: "low-traffic-0.1-to-5", Title: "1 req/s, errors 0.1% → 5%", RPS: 1, Stable: s, Canary: withErr(0.05), Horizon: horizon},
		{Name: "low-traffic-healthy", Title: "1 req/s, healthy canary", RPS: 1, Stable: s, Canary: s, Horizon: healthy, Healthy: true},
		{Name: "held-low-0.1-to-5", Title: "2 req/s held at 10%, errors 0.1% → 5%", RPS: 2, Hold: 10, Stable: s, Canary: withErr(0.05), Horizon: horizon},
		{Name: "held-low-healthy", Title: "2 req/s held at 10%, healthy canary", RPS: 2, Hold: 10, Stable: s, Canary: s, Horizon: healthy, Healthy: true},
		{Name: "burst-after-pass", Title: "healthy, then 30 s of 20% errors at 20 min", RPS: 100, Stable: s, Canary: s,
			Shifts:  []Shift{{From: BurstAt, Stable: s, Canary: withErr(0.2)}, {From: BurstAt + 30, Stable: s, Canary: s}},
			Horizon: BurstAt + 10*60, Bake: true, EventAt: BurstAt},
		{Name: "late-burst", Title: "both fail 1%; after an hour the canary fails 10% for 30 s", RPS: 100, Stable: withErr(0.01), Canary: withErr(0.01),
			Shifts:  []Shift{{From: LateBurstAt, Stable: withErr(0.01), Canary: withErr(0.1)}, {From: LateBurstAt + 30, Stable: withErr(0.01), Canary: withErr(0.01)}},
			Horizon: LateBurstAt + 10*60, Bake: true, EventAt: LateBurstAt},
		{Name: "slow-start", Title: "canary slow and failing 1% for its first minute, then healthy", RPS: 100, Stable: s,
			Canary: Version{ErrorRate: 0.01, Median: 2 * stableMedian, P99: 3 * stableP99},
			Shifts: []Shift{{From: 60, Stable: s, Canary: s}}, Horizon: horizon},
		diurnal(healthy),
		{Name: "stable-blip", Title: "healthy canary; stable fails 5% for 2 min at 10 min", RPS: 100, Stable: s, Canary: s,
			Shifts:  []Shift{{From: 600, Stable: withErr(0.05), Canary: s}, {From: 720, Stable: s, Canary: s}},
			Horizon: healthy, Healthy: true},
		{Name: "shared-blip", Title: "healthy canary; both fail 20% for 1 min at 10 min", RPS: 100, Stable: s, Canary: s,
			Shifts:  []Shift{{From: 600, Stable: withErr(0.2), Canary: withErr(0.2)}, {From: 660, Stable: s, Canary: s}},
			Horizon: healthy, Healthy: true},
	}
}

// diurnal is a healthy canary under daily traffic, compressed to a 2-hour
// cycle: the rate swings between 20 and 180 req/s, and at the peak both
// versions fail five times as often (0.1% → 0.5%) and answer 30% slower,
// as a service does under load. The behaviour changes each minute (the
// shift at 0 sets the first minute's load).
func diurnal(horizon int) Scenario {
	const period, minute = 2 * 3600, 60
	sc := Scenario{Name: "diurnal-healthy", Title: "healthy canary, daily traffic 20–180 req/s, errors and latency up with load",
		RPS: 100, Horizon: horizon, Healthy: true}
	for t := 0; t < horizon; t += minute {
		load := 1 - 0.8*math.Cos(2*math.Pi*float64(t)/period) // 0.2 at t=0, 1.8 at the peak
		up := (load - 0.2) / 1.6                              // 0 … 1
		v := Version{ErrorRate: 0.001 * (1 + 4*up), Median: stableMedian * (1 + 0.3*up), P99: stableP99 * (1 + 0.3*up)}
		if t == 0 {
			sc.Stable, sc.Canary = v, v
		}
		sc.Shifts = append(sc.Shifts, Shift{From: t, Stable: v, Canary: v, Load: load})
	}
	return sc
}
