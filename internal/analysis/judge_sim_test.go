package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// These tests run the judge on simulated streams: Poisson arrivals per
// latency bucket, binomial errors, one batch per simulated second, with the
// canary's weight stepping up 10% a minute to 50%, as in a release.

func poissonDraw(r *rand.Rand, mean float64) uint64 {
	var n uint64
	for mean > 0 {
		m := min(mean, 30)
		mean -= m
		p := math.Exp(-m)
		f, u := p, r.Float64()
		for k := 1; u > f && k < 1000; k++ {
			p *= m / float64(k)
			f += p
			n++
		}
	}
	return n
}

func binomialDraw(r *rand.Rand, n uint64, p float64) uint64 {
	if n == 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	q := math.Pow(1-p, float64(n))
	f, u := q, r.Float64()
	var k uint64
	for u > f && k < n {
		q *= float64(n-k) / float64(k+1) * p / (1 - p)
		f += q
		k++
	}
	return k
}

// simArm draws one second of one arm.
func simArm(r *rand.Rand, rps, errRate float64, shape []float64) ArmSample {
	a := ArmSample{Buckets: make([]uint64, len(shape))}
	for i, w := range shape {
		a.Buckets[i] = poissonDraw(r, rps*w)
		a.Requests += a.Buckets[i]
	}
	a.Errors = binomialDraw(r, a.Requests, errRate)
	return a
}

// rampWeight is the canary's share at second t: 10% up to 50%, +10%/min.
func rampWeight(t int) float64 { return math.Min(0.1+0.1*float64(t/60), 0.5) }

func mixShapes(a, b []float64, w float64) []float64 {
	m := make([]float64, len(a))
	for i := range a {
		m[i] = (1-w)*a[i] + w*b[i]
	}
	return m
}

func simSeeds(t *testing.T, full int) int {
	switch {
	case raceEnabled:
		return full / 8
	case testing.Short():
		return full / 4
	}
	return full
}

// A/A: both arms identical, but load, latency and error rate move together
// over time (a daily-like swing, an error burst hitting both): the judge must
// fail no more than α of such canaries, at two levels of α.
func TestJudgeFalseRollbackRateAA(t *testing.T) {
	seeds := simSeeds(t, 400)
	const seconds = 1200
	alphas := []float64{0.01, 0.1}
	fails := make([]int, len(alphas))
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 4))
		judges := make([]*Judge, len(alphas))
		for i, a := range alphas {
			j, err := NewJudge(JudgeConfig{Alpha: a, LatencyBounds: testBounds})
			if err != nil {
				t.Fatal(err)
			}
			judges[i] = j
		}
		for s := range seconds {
			load := 1 + 0.5*math.Sin(2*math.Pi*float64(s)/600)
			shape := mixShapes(stableShape, slowShape, (load-0.5)/1.5)
			errRate := 0.002
			if s >= 300 && s < 360 {
				errRate = 0.05
			}
			w := rampWeight(s)
			stable := simArm(r, 100*load*(1-w), errRate, shape)
			canary := simArm(r, 100*load*w, errRate, shape)
			for _, j := range judges {
				j.Observe(stable, canary)
			}
		}
		for i, j := range judges {
			if j.Decision() == JudgeFail {
				fails[i]++
			}
		}
	}
	for i, a := range alphas {
		rate := float64(fails[i]) / float64(seeds)
		// Ville's bound holds exactly; allow three standard errors of sampling.
		limit := a + 3*math.Sqrt(a*(1-a)/float64(seeds))
		t.Logf("α=%v: %d of %d identical canaries failed (%.2f%%, limit %.2f%%)", a, fails[i], seeds, 100*rate, 100*limit)
		if rate > limit {
			t.Errorf("α=%v: false-rollback rate %.3f over %d A/A streams, above α's limit %.3f", a, rate, seeds, limit)
		}
	}
}

// Bad canaries are caught quickly and healthy ones pass, on the same model.
func TestJudgeCatchesBadCanaries(t *testing.T) {
	seeds := simSeeds(t, 80)
	tests := map[string]struct {
		canaryErr   float64
		canaryShape []float64
		seconds     int
		// want is the decision expected by the end in at least minShare of
		// the runs, and within medianBy seconds in half of them.
		want     JudgeDecision
		minShare float64
		medianBy int
	}{
		"errors 0.1% to 1%": {
			canaryErr: 0.01, canaryShape: stableShape, seconds: 600,
			want: JudgeFail, minShare: 0.97, medianBy: 120,
		},
		"errors 0.1% to 5%": {
			canaryErr: 0.05, canaryShape: stableShape, seconds: 120,
			want: JudgeFail, minShare: 1, medianBy: 20,
		},
		"heavier latency tail": {
			canaryErr: 0.001, canaryShape: slowShape, seconds: 300,
			want: JudgeFail, minShare: 1, medianBy: 60,
		},
		"healthy canary": {
			canaryErr: 0.001, canaryShape: stableShape, seconds: 1800,
			want: JudgePass, minShare: 0.9, medianBy: 900,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, early, wrongPass := 0, 0, 0
			for seed := range seeds {
				r := rand.New(rand.NewPCG(uint64(seed), 5))
				j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
				if err != nil {
					t.Fatal(err)
				}
				at := -1
				for s := range tc.seconds {
					w := rampWeight(s)
					j.Observe(simArm(r, 100*(1-w), 0.001, stableShape), simArm(r, 100*w, tc.canaryErr, tc.canaryShape))
					d := j.Decision()
					if d == JudgePass && tc.want == JudgeFail {
						wrongPass++
					}
					if d == tc.want && at < 0 {
						at = s + 1
					}
				}
				if j.Decision() == tc.want {
					got++
					if at <= tc.medianBy {
						early++
					}
				}
			}
			t.Logf("%d of %d runs ended %s, %d of them within %d s", got, seeds, tc.want, early, tc.medianBy)
			if share := float64(got) / float64(seeds); share < tc.minShare {
				t.Errorf("%s in %.0f%% of runs, want at least %.0f%%", tc.want, 100*share, 100*tc.minShare)
			}
			if 2*early < seeds {
				t.Errorf("%s within %d s in %d of %d runs, want at least half", tc.want, tc.medianBy, early, seeds)
			}
			if wrongPass > 0 {
				t.Errorf("a bad canary was passed in %d batches", wrongPass)
			}
		})
	}
}

// At 1 request per second the judge keeps saying Continue, and why.
func TestJudgeLowTrafficNeverPasses(t *testing.T) {
	for seed := range simSeeds(t, 40) {
		r := rand.New(rand.NewPCG(uint64(seed), 6))
		j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
		if err != nil {
			t.Fatal(err)
		}
		for s := range 900 {
			w := rampWeight(s)
			j.Observe(simArm(r, 1-w, 0.001, stableShape), simArm(r, w, 0.001, stableShape))
			if d := j.Decision(); d == JudgePass {
				t.Fatalf("seed %d: passed after %d s with %d canary requests: %s", seed, s+1, j.st.Errors.CanaryTotal, j.Verdict().Reason)
			}
		}
		if v := j.Verdict(); v.Decision == JudgeContinue && j.st.Errors.CanaryTotal < DefaultJudgeMinRequests {
			if want := "more canary requests before a pass is possible"; !contains(v.Reason, want) {
				t.Errorf("seed %d: reason %q does not say %q", seed, v.Reason, want)
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
