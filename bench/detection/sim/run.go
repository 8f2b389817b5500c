package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sync"

	"sluice.dev/sluice/internal/analysis"
)

// MethodNames are the methods in the order they run and print.
var MethodNames = []string{"flagger", "argo", "sluice-threshold", "sluice-sequential", "sprt-bound"}

// Options are the knobs every run shares.
type Options struct {
	Seeds     int
	SeedBase  uint64
	Alpha     float64 // the judge's false-rollback bound
	SPRTAlpha float64
	SPRTBeta  float64
	Workers   int
	// Judge is the judge's configuration; LatencyBounds are filled in.
	Judge analysis.JudgeConfig
}

// runResult is one method's fate in one run.
type runResult struct {
	Out outcome
	// At is the second of the rollback, or the horizon if none.
	At int
	// Canary and Bad count the canary's requests and bad requests served
	// until the rollback (or the horizon).
	Canary, Bad float64
	// PassedAt is the first second the judge passed the canary (the
	// sluice-sequential method only), 0 if never.
	PassedAt int
}

// planOf is the scenario's plan for every method.
func planOf(sc Scenario) plan { return plan{hold: sc.Hold, bake: sc.Healthy || sc.Bake} }

func newMethods(st *stream, p plan, o Options) ([]method, error) {
	cfg := o.Judge
	cfg.Alpha, cfg.LatencyBounds = o.Alpha, latencyBounds
	seq, err := newSluiceSequential(cfg, p)
	if err != nil {
		return nil, err
	}
	return []method{
		newFlagger(p),
		newArgo(p),
		newSluiceThreshold(p),
		seq,
		newSPRT(st, o.SPRTAlpha, o.SPRTBeta, p),
	}, nil
}

// runOne simulates one seed of one scenario for every method on the same
// stream. A promoted canary keeps serving all traffic until the horizon: its
// bad requests count, and once every method has decided, the rest of the
// horizon is added at its expected value instead of being simulated.
func runOne(sc Scenario, ps []phase, seed uint64, o Options) ([]runResult, error) {
	st := newStream(ps, seed, streamID(sc.Name))
	ms, err := newMethods(st, planOf(sc), o)
	if err != nil {
		return nil, err
	}
	res := make([]runResult, len(ms))
	for t := 1; t <= sc.Horizon; t++ {
		st.next(t)
		done := true
		for i, m := range ms {
			r := &res[i]
			if r.Out == rolledBack {
				continue
			}
			stable, canary := st.split(m.weight())
			r.Canary += float64(canary.N)
			r.Bad += float64(canary.Bad)
			if r.Out == promoted {
				continue
			}
			m.tick(t, stable, canary)
			if r.Out = m.state(); r.Out == rolledBack {
				r.At = t
			}
			done = done && r.Out != running
		}
		if done {
			reqs, bad := expectedAfter(ps, t, sc.Horizon)
			for i := range res {
				if res[i].Out == promoted {
					res[i].Canary += math.Round(reqs)
					res[i].Bad += math.Round(bad)
				}
			}
			break
		}
	}
	for i, m := range ms {
		if res[i].Out != rolledBack {
			res[i].At = sc.Horizon
		}
		if s, ok := m.(*sluiceSequential); ok {
			res[i].PassedAt = s.passedAt
		}
	}
	return res, nil
}

// expectedAfter is the expected number of requests, and of bad ones, that
// a canary serving all traffic gets in seconds from+1 .. to.
func expectedAfter(ps []phase, from, to int) (reqs, bad float64) {
	for i := phaseAt(ps, from+1); i < len(ps); i++ {
		start := max(from, ps[i].from)
		end := to
		if i+1 < len(ps) {
			end = min(to, ps[i+1].from)
		}
		if end <= start {
			continue
		}
		n := float64(end-start) * ps[i].rps
		reqs += n
		bad += n * ps[i].badRate
	}
	return reqs, bad
}

func streamID(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return h.Sum64()
}

// Run simulates every seed of every scenario for every method and returns
// one row per scenario and method, in the order of scs and MethodNames.
func Run(scs []Scenario, o Options) ([]Row, error) {
	results, err := runAll(scs, o)
	if err != nil {
		return nil, err
	}
	return summarise(scs, results), nil
}

// runAll runs every seed of every scenario on a pool of workers and returns
// results[scenario][seed][method].
func runAll(scs []Scenario, o Options) ([][][]runResult, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([][][]runResult, len(scs))
	for i := range scs {
		results[i] = make([][]runResult, o.Seeds)
	}
	phases := make([][]phase, len(scs))
	for i := range scs {
		phases[i] = scs[i].phases()
	}
	type job struct{ sc, seed int }
	jobs := make(chan job)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				r, err := runOne(scs[jb.sc], phases[jb.sc], o.SeedBase+uint64(jb.seed), o)
				if err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("scenario %s seed %d: %w", scs[jb.sc].Name, jb.seed, err)
					mu.Unlock()
					continue
				}
				results[jb.sc][jb.seed] = r
			}
		}()
	}
	// Long scenarios first, so the pool does not end on one straggler.
	order := make([]int, 0, len(scs))
	for i := range scs {
		if scs[i].Healthy {
			order = append(order, i)
		}
	}
	for i := range scs {
		if !scs[i].Healthy {
			order = append(order, i)
		}
	}
	for _, i := range order {
		for s := range o.Seeds {
			jobs <- job{i, s}
		}
	}
	close(jobs)
	wg.Wait()
	return results, firstErr
}
