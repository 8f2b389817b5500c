package judge

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"sluice.dev/sluice/bench/detection/sim"
)

// realRuns is how many real releases are run; the assertion is on their
// median, so an odd count. More runs, for the figures in the benchmark's
// README: go test ./test/e2e/judge -args -runs 21.
var realRuns = flag.Int("runs", 5, "real releases to run (odd, at most 51)")

const (
	// simSeeds is how many simulated runs give the range.
	simSeeds = 400
	// runLimit bounds one real release; several times the simulated p90.
	runLimit = 45 * time.Second
)

// TestRealRollbackFallsInSimulatedRange runs a faulty canary (stable fails
// 0.1% of requests, the canary 2%, at 20% of 150 req/s) through the real
// local shell several times, and the same scenario through the simulator
// with the request rate measured at the proxy. The median real time from the
// canary getting its weight to RolledBack must lie within the simulator's
// p10–p90.
//
// Both versions answer after 10 ms plus up to 40 ms of uniform jitter. With a
// sharp latency (the sample app's --latency=2ms alone) the real canary, a
// process serving a fifth of the requests, answers a fraction of a
// millisecond slower than stable; the judge's latency margin keeps it from
// failing a canary for that (TestHealthyTightLatencyIsNotRolledBack), but the
// simulator gives both versions one latency distribution, so this test keeps
// the effect out of the comparison (see bench/detection/README.md,
// "Validation against real traffic").
//
// The model of the shell: the judge, primed during the lead pause, is fed
// the proxy's counters once per tick from the tick that sets the weight, and
// a Fail is acted on in its tick and confirmed RolledBack on the next
// (UnseenTicks 0, ActTicks 1). With a correct model, the median of five
// draws falls outside the p10–p90 with probability about 1.7%.
func TestRealRollbackFallsInSimulatedRange(t *testing.T) {
	sc := faulty{
		Rate: 150, Weight: 20, StableErrors: 0.001, CanaryErrors: 0.02,
		Latency: 10 * time.Millisecond, Jitter: 40 * time.Millisecond,
		Lead: 2 * time.Second, Tick: 250 * time.Millisecond,
	}

	n := *realRuns
	if n < 1 || n > 51 || n%2 == 0 {
		t.Fatalf("-runs %d: want an odd count from 1 to 51", n)
	}
	var runs []realRun
	for i := range n {
		r := runOnce(t, sc, fmt.Sprintf("faulty-%d", i), runLimit)
		t.Logf("real run %d: RolledBack after %v (Fail after %v, %d ticks), %.1f req/s at the proxy, canary share %.3f, failed by %s: canary %d/%d = %.2f%%, stable %.3f%% of %d; load sent %d, skipped %d, transport errors %d",
			i, r.ToRolledBack.Round(time.Millisecond), r.ToFail.Round(time.Millisecond), r.Ticks, r.RPS, r.CanaryShare,
			r.Failed.Test, uint64(r.Failed.CanaryRate*float64(r.Failed.CanaryRequests)+0.5), r.Failed.CanaryRequests, 100*r.Failed.CanaryRate,
			100*r.Failed.StableRate, r.Failed.StableRequests, r.Load.Sent, r.Load.Skipped, r.Load.Errors)
		if !r.RolledBack {
			t.Logf("real run %d was not rolled back within %v; it counts there", i, runLimit)
		}
		runs = append(runs, r)
	}

	var rps float64
	times := make([]time.Duration, 0, len(runs))
	for _, r := range runs {
		rps += r.RPS / float64(len(runs))
		times = append(times, r.ToRolledBack)
	}
	slices.Sort(times)
	median := times[len(times)/2]

	model := sim.FixedWeight{
		RPS: rps, Weight: int(sc.Weight), Tick: sc.Tick,
		Stable: sim.WithErrors(sc.StableErrors), Canary: sim.WithErrors(sc.CanaryErrors),
		Judge:   judgeConfig(sc.release("model").Spec.Analysis.Judge),
		Horizon: 5 * time.Minute, UnseenTicks: 0, ActTicks: 1,
	}
	spread, err := model.Simulate(simSeeds, 1)
	if err != nil {
		t.Fatal(err)
	}
	model.Arrivals = sim.Even
	even, err := model.Simulate(simSeeds, 1)
	if err != nil {
		t.Fatal(err)
	}
	inside := 0
	for _, d := range times {
		if d >= spread.P10 && d <= spread.P90 {
			inside++
		}
	}
	t.Logf("real: p10 %v, median %v, p90 %v of %v at %.1f req/s; %d of %d inside the simulated p10–p90",
		nearestRank(times, 0.1), median.Round(time.Millisecond), nearestRank(times, 0.9), round(times), rps, inside, len(times))
	t.Logf("simulated, %s arrivals (the benchmark's stream): p10 %v, median %v, p90 %v (%d/%d rolled back)",
		sim.Poisson, spread.P10, spread.Median, spread.P90, spread.RolledBack, spread.Runs)
	t.Logf("simulated, %s arrivals (the load generator's schedule, the proxy's split): p10 %v, median %v, p90 %v (%d/%d rolled back)",
		sim.Even, even.P10, even.Median, even.P90, even.RolledBack, even.Runs)

	if median < spread.P10 || median > spread.P90 {
		t.Errorf("real median time to rollback %v is outside the simulator's p10–p90 [%v, %v]", median, spread.P10, spread.P90)
	}
	if rel := rps / sc.Rate; rel < 0.9 || rel > 1.1 {
		t.Errorf("the proxy saw %.1f req/s where the load generator was asked for %v: the machine could not keep up", rps, sc.Rate)
	}
}

// nearestRank is the q quantile of sorted ds, as the simulator reports them.
func nearestRank(ds []time.Duration, q float64) time.Duration {
	i := max(1, int(math.Ceil(q*float64(len(ds))))) - 1
	return ds[i].Round(time.Millisecond)
}

func round(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	return out
}
