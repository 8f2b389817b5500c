package analysis

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// fineBounds are the embedded proxy's histogram bounds, in seconds.
var fineBounds = []float64{
	0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075,
	0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075,
	0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75,
	1, 1.5, 2, 3, 5, 10, 20, 30,
}

// noMargin turns both latency margins off.
func noMargin(c JudgeConfig) JudgeConfig {
	c.LatencyRelativeMargin, c.LatencyAbsoluteMargin = -1, -1
	return c
}

// latencyShape is the share of requests per bucket of a latency whose CDF
// is cdf.
func latencyShape(bounds []float64, cdf func(float64) float64) []float64 {
	shape := make([]float64, len(bounds)+1)
	prev := 0.0
	for i, b := range bounds {
		c := cdf(b)
		shape[i], prev = c-prev, c
	}
	shape[len(bounds)] = 1 - prev
	return shape
}

// lognormal is the CDF of a lognormal latency given its median and p99.
func lognormal(median, p99 float64) func(float64) float64 {
	sigma := math.Log(p99/median) / 2.3263478740408408
	return func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		return 0.5 * math.Erfc(-math.Log(x/median)/(sigma*math.Sqrt2))
	}
}

func TestCanaryScoring(t *testing.T) {
	cfg := JudgeConfig{LatencyBounds: fineBounds}.withDefaults()
	w := cfg.canaryScoring()
	for i, row := range w {
		var s float64
		for _, x := range row {
			if x < -1e-12 {
				t.Fatalf("bucket %d: negative weight %v", i, x)
			}
			s += x
		}
		if math.Abs(s-1) > 1e-9 {
			t.Fatalf("bucket %d: weights sum to %v, want 1", i, s)
		}
	}
	// A canary request in (2ms, 3ms] is within 5 ms of any stable one: it
	// weighs as stable's fastest.
	if got := w[5][0]; got != 1 {
		t.Errorf("weight of the (2ms, 3ms] bucket on the first = %v, want 1", got)
	}
	// (0.3s, 0.4s] deflates by 1.2 to (0.25s, 0.333s]: the (0.25s, 0.3s]
	// bucket and the (0.3s, 0.4s] one, never below.
	if got := w[21][20] + w[21][21]; math.Abs(got-1) > 1e-9 {
		t.Errorf("(0.3s, 0.4s] maps to %v, want all on buckets 20 and 21", w[21])
	}
	// Stable above 2 ms: the canary counts above 7 ms, so above 5 ms.
	if got := cfg.canaryBound(4); got != 7 {
		t.Errorf("canary bound for 2ms = %d, want 7 (5ms)", got)
	}
	for i, row := range noMargin(JudgeConfig{LatencyBounds: fineBounds}).withDefaults().canaryScoring() {
		if row[i] != 1 {
			t.Fatalf("without margin bucket %d maps to %v, want itself", i, row)
		}
	}
}

// simLatency runs one judge for seconds at 500 requests a second, 20% of
// them the canary's, and returns the decision it ended with (stopping at a
// fail).
func simLatency(t *testing.T, cfg JudgeConfig, seed uint64, seconds int, stable, canary []float64) JudgeDecision {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	j, err := NewJudge(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for range seconds {
		j.Observe(simArm(r, 400, 0.001, stable), simArm(r, 100, 0.001, canary))
		if j.Decision() == JudgeFail {
			break
		}
	}
	return j.Decision()
}

// A healthy canary a fraction of a millisecond slower than stable at 2 ms is
// not failed with the default margin, and is failed without one: the margin
// is what spares it.
func TestJudgeSparesSlightlySlowerCanary(t *testing.T) {
	stable := latencyShape(fineBounds, lognormal(0.0019, 0.0021))
	canary := latencyShape(fineBounds, lognormal(0.0022, 0.0024)) // 0.3 ms slower
	tests := map[string]struct {
		cfg      JudgeConfig
		wantFail bool
	}{
		"default margin": {cfg: JudgeConfig{LatencyBounds: fineBounds}},
		"no margin":      {cfg: noMargin(JudgeConfig{LatencyBounds: fineBounds}), wantFail: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			seeds := simSeeds(t, 20)
			fails := 0
			for seed := range seeds {
				if simLatency(t, tc.cfg, uint64(seed), 600, stable, canary) == JudgeFail {
					fails++
				}
			}
			t.Logf("%d of %d runs failed the canary", fails, seeds)
			if tc.wantFail && fails < seeds*9/10 {
				t.Errorf("failed in %d of %d runs, want at least 90%%", fails, seeds)
			}
			if !tc.wantFail && fails > 0 {
				t.Errorf("failed in %d of %d runs, want none", fails, seeds)
			}
		})
	}
}

// A canary exactly at the margin, as slow as the rounded margin G allows
// (every stable request's bucket moved to the highest canary bucket G lets it
// reach), is inside the null: it is failed in at most α of the runs (plus
// sampling error).
func TestJudgeFalseRollbackAtMargin(t *testing.T) {
	const alpha = 0.1 // a large α, so that a few hundred runs can show it
	tests := map[string]struct {
		median, p99 float64
	}{
		"realistic, relative margin": {median: 0.05, p99: 0.25},
		"fast, absolute margin":      {median: 0.002, p99: 0.01},
		"between the two":            {median: 0.02, p99: 0.06},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := JudgeConfig{Alpha: alpha, LatencyBounds: fineBounds}
			shift := cfg.withDefaults().canaryShift()
			stable := latencyShape(fineBounds, lognormal(tc.median, tc.p99))
			canary := make([]float64, len(stable))
			for k, p := range stable {
				top := 0 // the highest canary bucket scored as stable's k or below
				for i, sk := range shift {
					if sk <= k {
						top = i
					}
				}
				canary[top] += p
			}
			if reflect.DeepEqual(canary, stable) {
				t.Fatal("the canary at the margin is no slower than stable: the case tests nothing")
			}
			seeds := simSeeds(t, 200)
			fails := 0
			for seed := range seeds {
				if simLatency(t, cfg, uint64(seed), 300, stable, canary) == JudgeFail {
					fails++
				}
			}
			rate := float64(fails) / float64(seeds)
			limit := alpha + 3*math.Sqrt(alpha*(1-alpha)/float64(seeds))
			t.Logf("%d of %d canaries at the margin failed (%.1f%%, limit %.1f%%)", fails, seeds, 100*rate, 100*limit)
			if rate > limit {
				t.Errorf("false-rollback rate at the margin %.3f, above %.3f", rate, limit)
			}
		})
	}
}

// Tail regressions that matter, at realistic latencies, are still failed.
func TestJudgeFailsSlowerTail(t *testing.T) {
	stable := latencyShape(fineBounds, lognormal(0.05, 0.25))
	tests := map[string]struct {
		p99 float64
	}{
		"p99 +50%":  {p99: 0.375},
		"p99 +200%": {p99: 0.75},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			canary := latencyShape(fineBounds, lognormal(0.05, tc.p99))
			seeds := simSeeds(t, 20)
			fails := 0
			for seed := range seeds {
				if simLatency(t, JudgeConfig{LatencyBounds: fineBounds}, uint64(seed), 600, stable, canary) == JudgeFail {
					fails++
				}
			}
			t.Logf("%d of %d slower canaries failed within 10 min", fails, seeds)
			if fails < seeds*9/10 {
				t.Errorf("failed in %d of %d runs, want at least 90%%", fails, seeds)
			}
		})
	}
}

func TestJudgeMarginConfig(t *testing.T) {
	tests := map[string]struct {
		cfg  JudgeConfig
		want string
	}{
		"defaults":        {cfg: JudgeConfig{LatencyBounds: fineBounds}},
		"margins off":     {cfg: noMargin(JudgeConfig{LatencyBounds: fineBounds})},
		"relative is NaN": {cfg: JudgeConfig{LatencyBounds: fineBounds, LatencyRelativeMargin: math.NaN()}, want: "latency margins must be finite"},
		"absolute is Inf": {cfg: JudgeConfig{LatencyBounds: fineBounds, LatencyAbsoluteMargin: math.Inf(1)}, want: "latency margins must be finite"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewJudge(tc.cfg)
			if tc.want == "" && err != nil {
				t.Fatalf("NewJudge: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("NewJudge error = %v, want %q", err, tc.want)
			}
		})
	}
	j, err := NewJudge(JudgeConfig{LatencyBounds: fineBounds})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Config(); got.LatencyRelativeMargin != DefaultJudgeLatencyRelativeMargin || got.LatencyAbsoluteMargin != DefaultJudgeLatencyAbsoluteMargin {
		t.Errorf("defaults = %v, %v", got.LatencyRelativeMargin, got.LatencyAbsoluteMargin)
	}
}

// A state saved by an earlier version (before the margin, before windows
// and switching) is refused with a reason, never resumed under a different
// test.
func TestJudgeJSONRefusesEarlierVersions(t *testing.T) {
	j, err := NewJudge(JudgeConfig{LatencyBounds: fineBounds})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	for v, why := range map[int]string{1: "without margin", 2: "without windows or switching"} {
		old := strings.Replace(string(b), `"version":3`, fmt.Sprintf(`"version":%d`, v), 1)
		if old == string(b) {
			t.Fatalf("no version 3 in %s", b)
		}
		var got Judge
		err = json.Unmarshal([]byte(old), &got)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("restoring a version %d state: error = %v, want one that says %q", v, err, why)
		}
	}
	var back Judge
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("restoring a version 3 state: %v", err)
	}
	if !reflect.DeepEqual(back.scoring, j.scoring) {
		t.Errorf("restored judge scores the canary differently")
	}
}
