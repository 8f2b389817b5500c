package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// A switching mixture's factor for one window has expectation one under
// the null, whatever its weights: the healthy state's ratio is one and
// each alternative's has expectation one, so the process is a test
// supermartingale. Checked exactly over a binomial window, from several
// states, including the weights a long healthy stretch leaves.
func TestSwitchMixIsAnEValue(t *testing.T) {
	ratios := DefaultJudgeRatios
	prior := normalized(DefaultJudgeRatioWeights)
	states := map[string]switchMix{"fresh": newSwitchMix(prior)}
	late := newSwitchMix(prior)
	for range 5000 {
		lr := make([]float64, len(ratios))
		for i, r := range ratios {
			lr[i] = riskLogLR(r, 0.1, 0, 2) // two stable errors, no canary one
		}
		late.update(lr, prior, 10)
	}
	states["after a healthy stretch"] = late
	for name, start := range states {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				p0     float64
				events int
			}{{0.1, 1}, {0.1, 6}, {0.5, 3}, {0.02, 10}} {
				var mean float64
				for x := 0; x <= tc.events; x++ {
					m := start
					m.W = slices.Clone(start.W)
					lr := make([]float64, len(ratios))
					for i, r := range ratios {
						lr[i] = riskLogLR(r, tc.p0, uint64(x), uint64(tc.events))
					}
					m.update(lr, prior, 50)
					pmf := math.Exp(logChoose(tc.events, x) + float64(x)*math.Log(tc.p0) + float64(tc.events-x)*math.Log1p(-tc.p0))
					mean += pmf * math.Exp(m.LogE-start.LogE)
				}
				if math.Abs(mean-1) > 1e-9 {
					t.Errorf("p0=%v, %d events: E[factor] = %v, want 1", tc.p0, tc.events, mean)
				}
			}
			var sum float64
			for _, w := range start.W {
				sum += w
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("weights sum to %v, want 1", sum)
			}
		})
	}
}

// At 2 req/s with 10% on the canary and a batch every 250 ms, a batch
// holds half a request: tested batch by batch, a canary error was nearly
// always alone in its batch and said nothing. Pooled into windows, a
// canary failing 5% of its requests is rolled back in minutes.
func TestJudgeRollsBackAtLowTraffic(t *testing.T) {
	seeds := simSeeds(t, 80)
	var times []float64
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 11))
		j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
		if err != nil {
			t.Fatal(err)
		}
		at := math.Inf(1)
		for k := 1; k <= 4*60*30; k++ { // 30 min of 250 ms batches
			j.Observe(simArm(r, 1.8/4, 0.001, stableShape), simArm(r, 0.2/4, 0.05, stableShape))
			if j.Decision() == JudgeFail {
				at = float64(k) / 4
				break
			}
		}
		times = append(times, at)
	}
	slices.Sort(times)
	median := times[len(times)/2]
	t.Logf("median time to Fail %.0f s over %d runs (p90 %.0f s)", median, seeds, times[len(times)*9/10])
	// Three or four canary errors at 0.01/s: about 5 minutes.
	if median > 8*60 {
		t.Errorf("median time to Fail %.0f s at 2 req/s, want at most 8 min", median)
	}
}

// Pass opens gates; it never disarms. A canary that the judge has passed
// and that then fails 20% of its requests for 30 s is failed within
// seconds, even after an hour at a stable error rate of 1%, when the
// evidence of a plain product would have sunk too deep to come back.
func TestJudgePassIsNotLatched(t *testing.T) {
	for _, stableErr := range []float64{0.001, 0.01} {
		r := rand.New(rand.NewPCG(7, uint64(1000*stableErr)))
		j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
		if err != nil {
			t.Fatal(err)
		}
		passed := 0
		for s := range 3600 {
			j.Observe(simArm(r, 50, stableErr, stableShape), simArm(r, 50, stableErr, stableShape))
			if j.Decision() == JudgePass && passed == 0 {
				passed = s + 1
			}
		}
		if v := j.Verdict(); v.Decision != JudgePass || passed == 0 {
			t.Fatalf("stable errors %v: a healthy canary at 50 req/s is not passed after an hour: %s", stableErr, v.Reason)
		}
		failedAfter := -1
		for s := range 30 {
			j.Observe(simArm(r, 50, stableErr, stableShape), simArm(r, 50, 0.2, stableShape))
			if j.Decision() == JudgeFail {
				failedAfter = s + 1
				break
			}
		}
		t.Logf("stable errors %v: passed at %d s; the burst was failed after %d s", stableErr, passed, failedAfter)
		if failedAfter < 0 || failedAfter > 10 {
			t.Errorf("stable errors %v: a 30 s burst of 20%% errors after the pass was failed after %d s, want within 10 s", stableErr, failedAfter)
		}
	}
}

// Windows close at the batch of an error once big enough, so a Fail is
// not held back waiting for more traffic; and never on which arm served
// what: two batches with the same requests and errors, split differently,
// close a window alike.
func TestJudgeWindowsClose(t *testing.T) {
	j, err := NewJudge(JudgeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	j.Observe(arm(9, 0, nil), arm(1, 0, nil)) // the canary's first batch
	size := j.windowSize()
	if size != 2*DefaultJudgeWindowRequests {
		t.Fatalf("first window size %d, want %d before any share is known", size, 2*DefaultJudgeWindowRequests)
	}
	j.Observe(arm(9, 0, nil), arm(1, 0, nil))
	if j.st.ErrorWindow.requests() != 20 {
		t.Fatalf("window holds %d requests, want 20 pooled without an event", j.st.ErrorWindow.requests())
	}
	a, b := *j, *j
	a.Observe(arm(9, 1, nil), arm(1, 0, nil))
	b.Observe(arm(8, 0, nil), arm(2, 1, nil))
	if a.st.ErrorWindow.requests() != 0 || b.st.ErrorWindow.requests() != 0 {
		t.Errorf("a window with an event and %d ≥ %d requests stayed open: %d and %d pooled",
			30, size, a.st.ErrorWindow.requests(), b.st.ErrorWindow.requests())
	}
	// Without an event a window closes at errorWindowSpan times its size.
	c, err := NewJudge(JudgeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range errorWindowSpan*int(size)/10 - 1 {
		c.Observe(arm(9, 0, nil), arm(1, 0, nil))
	}
	if c.st.ErrorWindow.requests() == 0 {
		t.Fatalf("an event-free window closed before %d requests", errorWindowSpan*size)
	}
	c.Observe(arm(9, 0, nil), arm(1, 0, nil))
	if n := c.st.ErrorWindow.requests(); n != 0 {
		t.Errorf("an event-free window of %d requests is still open", n)
	}
}

// Stable's traffic before the canary's first request is folded alone, so
// the canary's first window compares it with stable's traffic of the same
// time only.
func TestJudgeLeadInIsFoldedAlone(t *testing.T) {
	j, err := NewJudge(JudgeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		j.Observe(arm(100, 1, nil), ArmSample{})
	}
	j.Observe(arm(9, 0, nil), arm(1, 0, nil))
	if w := j.st.ErrorWindow; w.Stable.Requests != 9 || w.Canary.Requests != 1 {
		t.Errorf("the canary's first window holds stable %d and canary %d requests, want 9 and 1", w.Stable.Requests, w.Canary.Requests)
	}
	if got := j.st.Errors.StableTotal; got != 10000 {
		t.Errorf("stable's lead-in folded %d requests, want 10000", got)
	}
	if lr := j.st.Errors.failLogE(); lr != 0 {
		t.Errorf("the lead-in moved the fail evidence to %v", lr)
	}
	if got, want := j.windowSize(), 2*j.cfg.WindowRequests; got != want {
		t.Errorf("the canary's first windows are sized %d, want %d: the lead-in must not count in the canary's share", got, want)
	}
}

// A judge saved mid-window and restored goes on exactly as one that never
// stopped.
func TestJudgeJSONResumesMidWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	a, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
	if err != nil {
		t.Fatal(err)
	}
	batch := func() (ArmSample, ArmSample) {
		return simArm(r, 1.8, 0.001, stableShape), simArm(r, 0.2, 0.05, slowShape)
	}
	for range 37 {
		a.Observe(batch())
	}
	if a.st.ErrorWindow.requests() == 0 {
		t.Fatal("no open window to save")
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var b Judge
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		s, c := batch()
		a.Observe(s, c)
		b.Observe(s, c)
		if va, vb := a.Verdict(), b.Verdict(); !reflect.DeepEqual(va, vb) {
			t.Fatalf("batch %d: resumed verdict differs:\n%+v\n%+v", i, vb, va)
		}
	}
}
