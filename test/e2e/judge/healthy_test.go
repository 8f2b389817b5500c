package judge

import (
	"flag"
	"fmt"
	"testing"
	"time"
)

// healthyRuns is how many healthy releases with tight latency are watched.
var healthyRuns = flag.Int("healthy-runs", 3, "healthy tight-latency releases to watch (1 to 10)")

// TestHealthyTightLatencyIsNotRolledBack watches a healthy canary, the same
// sample app as stable at --latency=2ms with no jitter and no errors, at 20%
// of 150 req/s for 30 s. As a separate process on a shared machine it answers
// a fraction of a millisecond slower than stable; without the judge's latency
// margin that alone rolled it back in 3 of 4 runs. It must not be rolled back.
func TestHealthyTightLatencyIsNotRolledBack(t *testing.T) {
	sc := faulty{
		Rate: 150, Weight: 20, StableErrors: 0, CanaryErrors: 0,
		Latency: 2 * time.Millisecond, Jitter: 0,
		Lead: 2 * time.Second, Tick: 250 * time.Millisecond,
	}
	const watch = 30 * time.Second
	n := *healthyRuns
	if n < 1 || n > 10 {
		t.Fatalf("-healthy-runs %d: want 1 to 10", n)
	}
	for i := range n {
		r := runOnce(t, sc, fmt.Sprintf("healthy-%d", i), sc.Lead+watch)
		var lat string
		for _, e := range r.Final.Evidence {
			if e.Test == "latency" {
				lat = fmt.Sprintf("latency e=%.3g of %g over %d canary requests, above %gs canary %.2f%% vs stable %.2f%%",
					e.EValue(), e.FailAt, e.CanaryRequests, e.BoundarySeconds, 100*e.CanaryRate, 100*e.StableRate)
			}
		}
		t.Logf("healthy run %d: watched %v at %.1f req/s, canary share %.3f, rolled back %v, %s: %s; %s",
			i, r.ToRolledBack.Round(time.Millisecond), r.RPS, r.CanaryShare, r.RolledBack, r.Final.Decision, r.Final.Reason, lat)
		if r.RolledBack {
			t.Errorf("healthy run %d: the canary was rolled back after %v: %s test, canary %.3g vs stable %.3g",
				i, r.ToFail, r.Failed.Test, r.Failed.CanaryRate, r.Failed.StableRate)
			continue
		}
		// The run must have tested something: the canary served its share
		// for the whole watch, and the latency test saw it.
		if r.ToRolledBack < watch*9/10 || r.CanaryShare < 0.15 || r.CanaryShare > 0.25 {
			t.Errorf("healthy run %d: canary share %.3f over %v, want about 0.2 over %v", i, r.CanaryShare, r.ToRolledBack, watch)
		}
		if r.RPS < 0.9*sc.Rate {
			t.Errorf("healthy run %d: the proxy saw %.1f req/s where %v were sent: the machine could not keep up", i, r.RPS, sc.Rate)
		}
		if lat == "" {
			t.Errorf("healthy run %d: no latency evidence in the judge's final verdict", i)
		}
	}
}
