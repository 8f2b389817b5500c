package analysis

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// testBounds are a small histogram for crafted batches (8 buckets).
var testBounds = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1}

var (
	stableShape = []float64{0.05, 0.25, 0.4, 0.2, 0.07, 0.02, 0.008, 0.002}
	slowShape   = []float64{0.03, 0.2, 0.35, 0.2, 0.1, 0.07, 0.04, 0.01} // a heavier tail
	fastShape   = []float64{0.2, 0.4, 0.3, 0.08, 0.015, 0.004, 0.001, 0}
)

// hist spreads n requests over buckets in the shape's proportions; what
// rounding leaves over goes to the second bucket.
func hist(n uint64, shape []float64) []uint64 {
	h := make([]uint64, len(shape))
	var used uint64
	for i, w := range shape {
		h[i] = uint64(math.Floor(w * float64(n)))
		used += h[i]
	}
	h[1] += n - used
	return h
}

func arm(n, errs uint64, shape []float64) ArmSample {
	a := ArmSample{Requests: n, Errors: errs}
	if shape != nil {
		a.Buckets = hist(n, shape)
	}
	return a
}

// every returns k on batches that are multiples of m, else 0: a way to put
// fractional error rates into whole batches.
func every(i, m int, k uint64) uint64 {
	if i%m == 0 {
		return k
	}
	return 0
}

func TestJudgeDecisions(t *testing.T) {
	withLatency := JudgeConfig{LatencyBounds: testBounds}
	tests := map[string]struct {
		cfg     JudgeConfig
		batches int
		batch   func(i int) (stable, canary ArmSample)
		want    JudgeDecision
		reason  string
	}{
		"nothing observed": {
			cfg: withLatency, batches: 0,
			want: JudgeContinue, reason: "need 500 more canary requests",
		},
		"little traffic and no errors": {
			cfg: withLatency, batches: 20,
			batch: func(int) (ArmSample, ArmSample) { return arm(9, 0, stableShape), arm(1, 0, stableShape) },
			want:  JudgeContinue, reason: "need 492 more canary requests", // 8 tested, 12 pooled

		},
		"canary fails ten times as often": {
			cfg: withLatency, batches: 60,
			batch: func(i int) (ArmSample, ArmSample) { return arm(900, 1, stableShape), arm(100, 1, stableShape) },
			want:  JudgeFail, reason: "canary error rate 1% vs stable 0.11%: evidence reached 1/α",
		},
		"canary's latency tail is heavier": {
			cfg: withLatency, batches: 60,
			batch: func(int) (ArmSample, ArmSample) { return arm(900, 0, stableShape), arm(100, 0, slowShape) },
			want:  JudgeFail, reason: "canary requests slower than 200ms (the bucket bound below stable's p99) 12% vs stable 2.9%: evidence reached 1/α",
		},
		"healthy canary with plenty of requests": {
			cfg: withLatency, batches: 300,
			batch: func(i int) (ArmSample, ArmSample) {
				return arm(900, 1, stableShape), arm(100, every(i, 9, 1), stableShape)
			},
			want: JudgePass, reason: "canary not worse than stable by the margin (2× its rates) after 30000 canary requests",
		},
		"healthy canary, too few canary requests": {
			cfg: withLatency, batches: 100,
			batch: func(i int) (ArmSample, ArmSample) { return arm(900, 1, stableShape), arm(4, 0, stableShape) },
			want:  JudgeContinue, reason: "need 104 more canary requests before a pass is possible (have 396, minimum 500)", // 4 pooled

		},
		"latency buckets that do not match the bounds": {
			cfg: withLatency, batches: 300,
			batch: func(i int) (ArmSample, ArmSample) {
				s, c := arm(900, 1, stableShape), arm(100, every(i, 9, 1), stableShape)
				s.Buckets, c.Buckets = s.Buckets[1:], c.Buckets[1:]
				return s, c
			},
			want: JudgeContinue, reason: "300 batches had latency buckets that do not match the 7 configured bounds",
		},
		"latency not measured": {
			cfg: JudgeConfig{}, batches: 300,
			batch: func(i int) (ArmSample, ArmSample) { return arm(900, 1, nil), arm(100, every(i, 9, 1), nil) },
			want:  JudgePass, reason: "canary error rate 0.11% vs stable 0.11%",
		},
		"canary better on both": {
			cfg: withLatency, batches: 300,
			batch: func(int) (ArmSample, ArmSample) { return arm(900, 2, stableShape), arm(100, 0, fastShape) },
			want:  JudgePass, reason: "canary error rate 0% vs stable 0.22%",
		},
		"a canary 1.5 times worse is within the margin": {
			cfg: withLatency, batches: 400,
			batch: func(i int) (ArmSample, ArmSample) {
				return arm(900, 1, stableShape), arm(100, every(i, 6, 1), stableShape)
			},
			want: JudgePass, reason: "canary error rate 0.17% vs stable 0.11%",
		},
		"a canary twice as bad is not passed on moderate data": {
			cfg: withLatency, batches: 60,
			batch: func(i int) (ArmSample, ArmSample) {
				return arm(900, 2, stableShape), arm(100, every(i, 9, 4), stableShape)
			},
			want: JudgeContinue, reason: "no decision after 6000 canary requests",
		},
		"errors above requests are capped": {
			cfg: JudgeConfig{}, batches: 10,
			batch: func(int) (ArmSample, ArmSample) { return arm(10, 50, nil), arm(10, 50, nil) },
			want:  JudgeContinue, reason: "need 400 more canary requests",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			j, err := NewJudge(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.batches {
				j.Observe(tc.batch(i))
			}
			v := j.Verdict()
			if v.Decision != tc.want || !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("verdict = %s: %q\nwant %s with %q", v.Decision, v.Reason, tc.want, tc.reason)
			}
			if d := j.Decision(); d != v.Decision {
				t.Errorf("Decision() = %s, Verdict().Decision = %s", d, v.Decision)
			}
			wantTests := 1
			if len(tc.cfg.LatencyBounds) > 0 {
				wantTests = 2
			}
			if len(v.Evidence) != wantTests {
				t.Errorf("got %d evidence entries, want %d", len(v.Evidence), wantTests)
			}
		})
	}
}

// A fail stays a fail: later good batches do not undo a rollback decision.
func TestJudgeFailIsFinal(t *testing.T) {
	j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
	if err != nil {
		t.Fatal(err)
	}
	for range 60 {
		j.Observe(arm(900, 1, stableShape), arm(100, 5, stableShape))
	}
	first := j.Verdict()
	if first.Decision != JudgeFail {
		t.Fatalf("verdict = %s: %s, want Fail", first.Decision, first.Reason)
	}
	for range 2000 {
		j.Observe(arm(900, 1, stableShape), arm(100, 0, stableShape))
	}
	if v := j.Verdict(); v.Decision != JudgeFail || v.Reason != first.Reason {
		t.Errorf("after good batches: %s %q, want the first failure %q", v.Decision, v.Reason, first.Reason)
	}
}

// The evidence reports each test with its bound: the error test gets
// ErrorAlphaShare of α, the latency test the rest.
func TestJudgeEvidenceBounds(t *testing.T) {
	j, err := NewJudge(JudgeConfig{Alpha: 0.02, ErrorAlphaShare: 0.25, LatencyBounds: testBounds})
	if err != nil {
		t.Fatal(err)
	}
	ev := j.Verdict().Evidence
	want := map[string]float64{"error-rate": 200, "latency": 1 / (0.02 * 0.75)}
	for _, e := range ev {
		if math.Abs(e.FailAt-want[e.Test]) > 1e-9 || e.PassAt != 1/DefaultJudgePassAlpha {
			t.Errorf("%s: failAt %v passAt %v, want %v and %v", e.Test, e.FailAt, e.PassAt, want[e.Test], 1/DefaultJudgePassAlpha)
		}
		if e.LogE != 0 || e.EValue() != 1 {
			t.Errorf("%s: e-value %v before any data, want 1", e.Test, e.EValue())
		}
	}
	if _, err := json.Marshal(ev); err != nil {
		t.Errorf("evidence does not marshal: %v", err)
	}
}

func TestNewJudgeValidates(t *testing.T) {
	tests := map[string]struct {
		cfg  JudgeConfig
		want string // "" for valid
	}{
		"defaults":              {cfg: JudgeConfig{}},
		"with latency":          {cfg: JudgeConfig{LatencyBounds: testBounds}},
		"alpha too big":         {cfg: JudgeConfig{Alpha: 1.5}, want: "alpha must be in (0, 1)"},
		"negative pass alpha":   {cfg: JudgeConfig{PassAlpha: -0.1}, want: "passAlpha must be in (0, 1)"},
		"ratio of one":          {cfg: JudgeConfig{Ratios: []float64{1, 2}}, want: "ratios must be finite numbers > 1"},
		"pass ratio below one":  {cfg: JudgeConfig{PassRatio: 0.5}, want: "passRatio must be a finite number > 1"},
		"bounds not increasing": {cfg: JudgeConfig{LatencyBounds: []float64{0.1, 0.1}}, want: "latencyBounds must be positive, finite and increasing"},
		"negative bound":        {cfg: JudgeConfig{LatencyBounds: []float64{-1}}, want: "latencyBounds must be positive"},
		"quantile of one":       {cfg: JudgeConfig{LatencyBounds: testBounds, LatencyQuantiles: []float64{1}}, want: "latencyQuantiles must be in (0, 1)"},
		"share of one":          {cfg: JudgeConfig{ErrorAlphaShare: 1}, want: "errorAlphaShare must be in (0, 1)"},
		"several problems":      {cfg: JudgeConfig{Alpha: 2, PassRatio: 1}, want: "passRatio"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			j, err := NewJudge(tc.cfg)
			if tc.want == "" {
				if err != nil || j == nil {
					t.Fatalf("NewJudge: %v", err)
				}
				if j.Config().Alpha != DefaultJudgeAlpha || j.Config().MinRequests != DefaultJudgeMinRequests {
					t.Errorf("defaults not filled in: %+v", j.Config())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewJudge error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A judge saved to JSON and restored goes on exactly as one that never
// stopped.
func TestJudgeJSONResumes(t *testing.T) {
	batch := func(i int) (ArmSample, ArmSample) {
		return arm(900, every(i, 3, 1), stableShape), arm(uint64(80+i%40), every(i, 7, 1), slowShape)
	}
	a, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		a.Observe(batch(i))
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var b Judge
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	for i := 30; i < 200; i++ {
		a.Observe(batch(i))
		b.Observe(batch(i))
		if va, vb := a.Verdict(), b.Verdict(); !reflect.DeepEqual(va, vb) {
			t.Fatalf("batch %d: resumed verdict differs:\n%+v\n%+v", i, vb, va)
		}
	}
	if a.Verdict().Decision != JudgeFail {
		t.Errorf("the slow canary was not failed: %s", a.Verdict().Reason)
	}
}

func TestJudgeJSONRejects(t *testing.T) {
	j, err := NewJudge(JudgeConfig{LatencyBounds: testBounds})
	if err != nil {
		t.Fatal(err)
	}
	good, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(s *judgeSnapshot)) string {
		var s judgeSnapshot
		if err := json.Unmarshal(good, &s); err != nil {
			t.Fatal(err)
		}
		f(&s)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := map[string]struct {
		in   string
		want string
	}{
		"not JSON":         {in: "{", want: "unexpected end of JSON input"},
		"wrong shape":      {in: `{"version": "one"}`, want: "restoring judge state"},
		"other version":    {in: edit(func(s *judgeSnapshot) { s.Version = 99 }), want: "version 99"},
		"invalid config":   {in: edit(func(s *judgeSnapshot) { s.Config.Alpha = 3 }), want: "alpha must be in (0, 1)"},
		"ratios mismatch":  {in: edit(func(s *judgeSnapshot) { s.State.Errors.Fail.W = nil }), want: "configured ratios"},
		"buckets mismatch": {in: edit(func(s *judgeSnapshot) { s.State.StableBuckets = s.State.StableBuckets[1:] }), want: "configured bounds"},
		"boundary outside": {in: edit(func(s *judgeSnapshot) { s.State.Latency[0].Boundary = 50 }), want: "latency test 0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var j Judge
			if err := json.Unmarshal([]byte(tc.in), &j); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Unmarshal error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestArmSampleSub(t *testing.T) {
	tests := map[string]struct {
		now, prev ArmSample
		want      ArmSample
	}{
		"counters grew": {
			now:  ArmSample{Requests: 150, Errors: 3, Buckets: []uint64{100, 40, 10}},
			prev: ArmSample{Requests: 100, Errors: 1, Buckets: []uint64{70, 25, 5}},
			want: ArmSample{Requests: 50, Errors: 2, Buckets: []uint64{30, 15, 5}},
		},
		"first reading": {
			now:  ArmSample{Requests: 10, Errors: 1, Buckets: []uint64{9, 1}},
			want: ArmSample{Requests: 10, Errors: 1, Buckets: []uint64{9, 1}},
		},
		"process restarted": {
			now:  ArmSample{Requests: 20, Errors: 0, Buckets: []uint64{20, 0}},
			prev: ArmSample{Requests: 100, Errors: 1, Buckets: []uint64{90, 10}},
			want: ArmSample{Requests: 20, Errors: 0, Buckets: []uint64{20, 0}},
		},
		"a bucket went backwards": {
			now:  ArmSample{Requests: 120, Errors: 1, Buckets: []uint64{100, 5}},
			prev: ArmSample{Requests: 100, Errors: 1, Buckets: []uint64{90, 10}},
			want: ArmSample{Requests: 120, Errors: 1, Buckets: []uint64{100, 5}},
		},
		"bounds changed": {
			now:  ArmSample{Requests: 120, Buckets: []uint64{100, 15, 5}},
			prev: ArmSample{Requests: 100, Buckets: []uint64{90, 10}},
			want: ArmSample{Requests: 120, Buckets: []uint64{100, 15, 5}},
		},
		"no latency": {
			now:  ArmSample{Requests: 120, Errors: 4},
			prev: ArmSample{Requests: 100, Errors: 1},
			want: ArmSample{Requests: 20, Errors: 3},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.now.Sub(tc.prev); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Sub = %+v, want %+v", got, tc.want)
			}
		})
	}
}
