package sim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/internal/analysis"
	"sluice.dev/sluice/internal/proxy"
)

func faultyAt20() FixedWeight {
	return FixedWeight{
		RPS: 150, Weight: 20, Tick: 250 * time.Millisecond,
		Stable: WithErrors(0.001), Canary: WithErrors(0.02),
		Judge:   analysis.JudgeConfig{Alpha: 0.01},
		Horizon: 5 * time.Minute, ActTicks: 1,
	}
}

// The simulated histogram must be the one the proxy fills, or a judge
// configured as the local shell configures it would read other buckets.
func TestLatencyBoundsAreTheProxys(t *testing.T) {
	if !slices.Equal(latencyBounds, proxy.LatencyBounds) {
		t.Fatalf("bounds differ from the proxy's:\n%v\n%v", latencyBounds, proxy.LatencyBounds)
	}
}

func TestFixedWeightRejectsBadModels(t *testing.T) {
	tests := map[string]struct {
		change func(*FixedWeight)
		want   string
	}{
		"no rate":                  {change: func(f *FixedWeight) { f.RPS = 0 }, want: "rps"},
		"weight 0":                 {change: func(f *FixedWeight) { f.Weight = 0 }, want: "weight 0"},
		"weight 100":               {change: func(f *FixedWeight) { f.Weight = 100 }, want: "weight 100"},
		"poisson off the slices":   {change: func(f *FixedWeight) { f.Weight = 25 }, want: "steps of 10%"},
		"no tick":                  {change: func(f *FixedWeight) { f.Tick = 0 }, want: "tick"},
		"horizon below a tick":     {change: func(f *FixedWeight) { f.Horizon = time.Millisecond }, want: "horizon"},
		"negative pipeline ticks":  {change: func(f *FixedWeight) { f.ActTicks = -1 }, want: "negative"},
		"bad judge":                {change: func(f *FixedWeight) { f.Judge.Alpha = 2 }, want: "alpha"},
		"even arrivals at 25% fit": {change: func(f *FixedWeight) { f.Weight, f.Arrivals = 25, Even }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := faultyAt20()
			tc.change(&f)
			_, _, err := f.RollbackTime(1)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("RollbackTime = %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("RollbackTime = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := faultyAt20().Simulate(0, 1); err == nil {
		t.Error("Simulate(0 seeds) succeeded")
	}
}

// Both arrival models give the same spread (the judge conditions on each
// batch's counts, so how they arrive matters little), worse canaries are
// rolled back sooner, and the pipeline's ticks add exactly their time.
func TestFixedWeightSpread(t *testing.T) {
	f := faultyAt20()
	poisson, err := f.Simulate(300, 1)
	if err != nil {
		t.Fatal(err)
	}
	if poisson.RolledBack != poisson.Runs || poisson.P10 >= poisson.Median || poisson.Median >= poisson.P90 {
		t.Fatalf("spread %+v: want every run rolled back and p10 < median < p90", poisson)
	}
	f.Arrivals = Even
	even, err := f.Simulate(300, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r := even.Median.Seconds() / poisson.Median.Seconds(); r < 0.8 || r > 1.25 {
		t.Errorf("median %v with even arrivals against %v with Poisson ones", even.Median, poisson.Median)
	}
	worse := faultyAt20()
	worse.Canary = WithErrors(0.05)
	w, err := worse.Simulate(300, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w.Median >= poisson.Median/2 {
		t.Errorf("5%% errors rolled back after %v, 2%% after %v: want well under half", w.Median, poisson.Median)
	}

	base := faultyAt20()
	slow, blind := base, base
	slow.ActTicks = 3
	blind.UnseenTicks = 8
	for seed := uint64(1); seed <= 20; seed++ {
		a, _, _ := base.RollbackTime(seed)
		b, _, _ := slow.RollbackTime(seed)
		if b != a+2*base.Tick {
			t.Errorf("seed %d: %v with two more ticks to act, %v without", seed, b, a)
		}
		// The judge sees nothing of the first eight ticks.
		if c, _, _ := blind.RollbackTime(seed); c < 10*base.Tick {
			t.Errorf("seed %d: rolled back after %v with eight unseen ticks", seed, c)
		}
	}
}

// A healthy canary is rarely rolled back: the judge's α holds in the
// model the validation relies on.
func TestFixedWeightHealthyCanary(t *testing.T) {
	f := faultyAt20()
	f.Canary, f.Horizon = f.Stable, 2*time.Minute
	seeds, limit := 200, 6 // α = 1%: 2 expected at most; 6 is far out
	if raceEnabled {
		seeds, limit = 100, 4
	}
	for _, arr := range []Arrivals{Poisson, Even} {
		f.Arrivals = arr
		sp, err := f.Simulate(seeds, 1)
		if err != nil {
			t.Fatal(err)
		}
		if sp.RolledBack > limit {
			t.Errorf("%s: %d of %d healthy canaries rolled back", arr, sp.RolledBack, sp.Runs)
		}
		if sp.Median != f.Horizon {
			t.Errorf("%s: median %v, want the horizon", arr, sp.Median)
		}
	}
}
