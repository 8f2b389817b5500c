package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"sluice.dev/sluice/internal/analysis"
)

// FixedWeight is one canary held at a constant weight with the statistical
// judge alone deciding, as a local release with a single setWeight and a long
// pause runs it: the shell reads the proxy's counters once per Tick and feeds
// the judge the difference, and a Fail rolls back. It exists so that a real
// run through the local shell can be checked against the simulator with the
// very same parameters (test/e2e/judge).
type FixedWeight struct {
	// RPS is the total request rate through the proxy, both versions.
	RPS float64
	// Weight is the canary's percent of the requests, 1..99; a multiple of
	// 10 with Arrivals Poisson.
	Weight int
	// Tick is how often the shell feeds the judge.
	Tick time.Duration
	// Stable and Canary are the versions' behaviour.
	Stable, Canary Version
	// Judge configures the judge; nil LatencyBounds mean the proxy's.
	Judge analysis.JudgeConfig
	// Horizon bounds one run; a run not rolled back by then counts at it.
	Horizon time.Duration
	// UnseenTicks are the ticks of canary traffic the judge never sees: the
	// local shell primes its counters on its first tick with a release
	// started, so what came before is not counted.
	UnseenTicks int
	// ActTicks are the ticks from the judge's Fail to the release being
	// rolled back: the shell routes everything to stable on the tick of the
	// Fail and the engine confirms RolledBack on the next.
	ActTicks int
	// Arrivals says how requests arrive and are split.
	Arrivals Arrivals
}

// Arrivals is a model of how requests reach the two versions.
type Arrivals int

const (
	// Poisson arrivals split at random, the benchmark's own stream.
	Poisson Arrivals = iota
	// Even arrivals at exactly RPS, split by the proxy's golden-ratio
	// sequence, as the local load generator and the proxy do.
	Even
)

func (a Arrivals) String() string {
	if a == Even {
		return "even"
	}
	return "poisson"
}

// Spread summarises the simulated times to rollback of many seeds.
type Spread struct {
	Runs, RolledBack int
	// P10, Median and P90 are nearest-rank quantiles; runs that were not
	// rolled back count at the horizon.
	P10, Median, P90 time.Duration
}

func (f FixedWeight) validate() error {
	var errs []error
	if !(f.RPS > 0) {
		errs = append(errs, fmt.Errorf("rps %v must be positive", f.RPS))
	}
	if f.Weight < 1 || f.Weight > 99 {
		errs = append(errs, fmt.Errorf("weight %d is not in 1..99", f.Weight))
	}
	if f.Arrivals == Poisson && f.Weight%(100/sliceCount) != 0 {
		errs = append(errs, fmt.Errorf("weight %d: Poisson arrivals split in steps of %d%%", f.Weight, 100/sliceCount))
	}
	if f.Tick <= 0 || f.Horizon < f.Tick {
		errs = append(errs, fmt.Errorf("tick %v and horizon %v: want 0 < tick ≤ horizon", f.Tick, f.Horizon))
	}
	if f.UnseenTicks < 0 || f.ActTicks < 0 {
		errs = append(errs, errors.New("unseen and act ticks must not be negative"))
	}
	return errors.Join(errs...)
}

// RollbackTime simulates one seed: the time from the canary's first request
// to the release being rolled back, and whether that happened within the
// horizon.
func (f FixedWeight) RollbackTime(seed uint64) (time.Duration, bool, error) {
	if err := f.validate(); err != nil {
		return 0, false, fmt.Errorf("fixed weight: %w", err)
	}
	cfg := f.Judge
	if cfg.LatencyBounds == nil {
		cfg.LatencyBounds = latencyBounds
	}
	j, err := analysis.NewJudge(cfg)
	if err != nil {
		return 0, false, fmt.Errorf("fixed weight: %w", err)
	}
	gen := f.traffic(seed)
	ticks := int(f.Horizon / f.Tick)
	for k := 1; k <= ticks; k++ {
		stable, canary := gen()
		if k <= f.UnseenTicks {
			continue
		}
		j.Observe(toSample(stable), toSample(canary))
		if j.Decision() == analysis.JudgeFail {
			return time.Duration(k+f.ActTicks) * f.Tick, true, nil
		}
	}
	return f.Horizon, false, nil
}

// Simulate runs seeds seedBase, seedBase+1, ... and summarises them.
func (f FixedWeight) Simulate(seeds int, seedBase uint64) (Spread, error) {
	if seeds < 1 {
		return Spread{}, fmt.Errorf("fixed weight: %d seeds, want at least 1", seeds)
	}
	times := make([]float64, 0, seeds)
	sp := Spread{Runs: seeds}
	for i := range seeds {
		t, rolled, err := f.RollbackTime(seedBase + uint64(i))
		if err != nil {
			return Spread{}, err
		}
		if rolled {
			sp.RolledBack++
		}
		times = append(times, float64(t))
	}
	sort.Float64s(times)
	sp.P10 = time.Duration(quantile(times, 0.1))
	sp.Median = time.Duration(quantile(times, 0.5))
	sp.P90 = time.Duration(quantile(times, 0.9))
	return sp, nil
}

// traffic returns a generator of one tick of traffic per call.
func (f FixedWeight) traffic(seed uint64) func() (stable, canary *arm) {
	perTick := f.RPS * f.Tick.Seconds()
	if f.Arrivals == Poisson {
		// The benchmark's stream, one "second" per tick.
		sc := Scenario{Name: "fixed-weight", RPS: perTick, Stable: f.Stable, Canary: f.Canary}
		st := newStream(sc.phases(), seed, streamID(sc.Name))
		t := 0
		return func() (*arm, *arm) {
			t++
			st.next(t)
			return st.split(f.Weight)
		}
	}
	g := &evenTraffic{
		rng:     rand.New(rand.NewPCG(seed, streamID("fixed-weight-even"))),
		stable:  newSampler(f.Stable, false, stableP99),
		canary:  newSampler(f.Canary, false, stableP99),
		perTick: perTick,
		thr:     uint64(f.Weight) * (math.MaxUint64 / 100),
	}
	// Where the load's schedule and the proxy's sequence stand when the
	// canary gets its weight is arbitrary.
	g.due, g.n = g.rng.Float64(), g.rng.Uint64()
	return g.next
}

// golden is the step of the proxy's splitter (internal/proxy/split.go):
// request n goes to the canary iff n*golden mod 2^64 is below the weight's
// threshold.
const golden uint64 = 0x9e3779b97f4a7c15

// evenTraffic sends requests evenly at a fixed rate and splits them as the
// proxy does.
type evenTraffic struct {
	rng            *rand.Rand
	stable, canary *sampler
	perTick, due   float64
	sent           uint64
	n, thr         uint64
	s, c           arm
}

func (g *evenTraffic) next() (*arm, *arm) {
	g.s, g.c = arm{}, arm{}
	g.due += g.perTick
	for ; float64(g.sent) < math.Floor(g.due); g.sent++ {
		g.n++
		u := g.rng.Uint64()
		if g.n*golden < g.thr {
			g.canary.record(&g.c, u)
		} else {
			g.stable.record(&g.s, u)
		}
	}
	return &g.s, &g.c
}
