package analysis

import (
	"math"
)

// Judge decides, batch after batch, whether the canary is worse than stable,
// not worse, or not known yet. It compares the two arms with each other from
// the requests they really served, so it needs no absolute floor and no fixed
// sample size, and it holds its false-rollback bound however often the shell
// asks (see the package documentation).
//
// Observe takes deltas: what each arm served since the previous call. The
// shell may call it at any pace (every 250 ms locally, every analysis
// interval on Kubernetes); batches of different lengths are fine, and the
// judge pools them into windows itself (judge_window.go). Fail is final:
// once any test has reached its bound the verdict stays Fail. Pass is not:
// it opens gates, it never disarms. It is recomputed from the evidence on
// every call, and a canary that turns bad after it was passed is failed
// like any other (the fail tests stay armed, sequential_switch.go), so a
// shell must keep feeding the judge, and acting on a Fail, until the
// release ends.
//
// A Judge is pure logic (no clock, no I/O) and not safe for concurrent use.
// It marshals to JSON with its configuration and test state, so a restarted
// shell resumes the very same test (json.Unmarshal into a zero Judge).
type Judge struct {
	cfg JudgeConfig
	st  judgeState
	// shift and scoring are cfg.canaryShift() and cfg.canaryScoring(),
	// derived from the configuration.
	shift   []int
	scoring [][]float64
}

// judgeState is everything the tests have accumulated.
type judgeState struct {
	Batches    uint64   `json:"batches"`
	Errors     seqRisk  `json:"errors"`
	ErrorFloor seqFloor `json:"errorFloor"`
	// LatencyFail is the latency fail test (judge_latency.go).
	LatencyFail latencyFail `json:"latencyFail"`
	// Latency has one pass-side test per configured quantile.
	Latency []latencyTest `json:"latency,omitempty"`
	// StableBuckets and CanaryBuckets are the cumulative histograms: stable's
	// places the latency tests' bounds, both give the rates shown to people.
	StableBuckets []uint64 `json:"stableBuckets,omitempty"`
	CanaryBuckets []uint64 `json:"canaryBuckets,omitempty"`
	// SkippedLatency counts batches whose buckets did not match the bounds.
	SkippedLatency uint64 `json:"skippedLatency,omitempty"`
	// ErrorWindow and LatencyWindow are the open windows: what was pooled
	// since each was last folded (judge_window.go).
	ErrorWindow   judgeWindow `json:"errorWindow"`
	LatencyWindow judgeWindow `json:"latencyWindow"`
	// CanaryStarted is set by the first batch in which the canary served.
	CanaryStarted bool `json:"canaryStarted,omitempty"`
	// ShareCanary and ShareRequests count the canary's and all requests of
	// the error windows folded since then: they size the windows.
	ShareCanary   uint64 `json:"shareCanary,omitempty"`
	ShareRequests uint64 `json:"shareRequests,omitempty"`
	// Failed is set, once, when a test first reaches its bound.
	Failed *judgeFailure `json:"failed,omitempty"`
}

// latencyTest is a pass-side latency test: it counts, in each batch, the
// stable requests slower than the bucket bound nearest to stable's running
// quantile and the canary requests slower than that bound plus the latency
// margin (judge_margin.go), against "the canary's share is PassRatio times
// stable's". The bound
// is chosen from the batches before, never the current one, which keeps the
// test an e-process however the bound moves; and since a request either is
// or is not above a bucket bound, histogram discretisation costs power, not
// validity. (The fail side is the tail-score test, seqTilt.)
type latencyTest struct {
	Quantile float64 `json:"quantile"`
	Risk     seqRisk `json:"risk"`
	// Boundary indexes LatencyBounds; -1 until stable has served enough.
	Boundary int `json:"boundary"`
}

type judgeFailure struct {
	Test           string `json:"test"`
	Reason         string `json:"reason"`
	CanaryRequests uint64 `json:"canaryRequests"`
}

// NewJudge checks the configuration, fills its defaults and starts the tests
// with no evidence either way.
func NewJudge(cfg JudgeConfig) (*Judge, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	j := &Judge{cfg: cfg, shift: cfg.canaryShift(), scoring: cfg.canaryScoring()}
	j.st.Errors = newSeqRisk(cfg.RatioWeights)
	j.st.ErrorFloor = newSeqFloor()
	if n := len(cfg.LatencyBounds); n > 0 {
		j.st.LatencyFail = newLatencyFail()
		j.st.StableBuckets = make([]uint64, n+1)
		j.st.CanaryBuckets = make([]uint64, n+1)
		for _, q := range cfg.LatencyQuantiles {
			j.st.Latency = append(j.st.Latency, latencyTest{Quantile: q, Boundary: -1})
		}
	}
	return j, nil
}

// Config is the configuration in use, defaults filled in.
func (j *Judge) Config() JudgeConfig { return j.cfg }

// observeLatency folds one window's histograms (both of the configured
// length) into the latency tests.
func (j *Judge) observeLatency(stable, canary []uint64) {
	st := &j.st
	ts, tc := sum(stable), sum(canary)
	for i := range st.Latency {
		lt := &st.Latency[i]
		lt.Boundary = quantileBoundary(st.StableBuckets, lt.Quantile)
		if lt.Boundary < 0 {
			continue
		}
		xs, xc := sum(stable[lt.Boundary+1:]), sum(canary[j.cfg.canaryBound(lt.Boundary)+1:])
		lt.Risk.observe(nil, nil, j.cfg.PassRatio, tc, ts, xc, xs)
	}
	prev := append([]uint64(nil), st.StableBuckets...)
	for i := range stable {
		st.StableBuckets[i] += stable[i]
		st.CanaryBuckets[i] += canary[i]
	}
	st.LatencyFail.observe(stable, canary, prev, st.StableBuckets, j.shift, j.scoring)
}

// quantileBoundary is the index of the bucket bound the pass test of
// quantile q counts above: the largest finite bound at or below quantile q
// of stable's histogram (the lower edge of the bucket holding it), or the
// first bound when q lies in the first bucket. Stable's share above it is
// then at least 1-q: with coarse buckets (a mesh's, 1, 5, 10, 25, 50, 100
// ms...) the bound above the quantile can have no stable request beyond
// it, which leaves the test nothing to compare and a healthy canary never
// passed. It is -1 while the histogram is too small to expect ten
// requests above quantile q.
func quantileBoundary(buckets []uint64, q float64) int {
	total := sum(buckets)
	if total == 0 || float64(total)*(1-q) < 10 || len(buckets) < 2 {
		return -1
	}
	want := q * float64(total)
	var cum uint64
	for i := range buckets {
		cum += buckets[i]
		if float64(cum) >= want {
			return max(0, min(i-1, len(buckets)-2))
		}
	}
	return len(buckets) - 2
}

func sum(v []uint64) uint64 {
	var s uint64
	for _, x := range v {
		s += x
	}
	return s
}

// Verdict is the current decision with the evidence of every test.
func (j *Judge) Verdict() JudgeVerdict {
	ev := j.evidence()
	if f := j.st.Failed; f != nil {
		return JudgeVerdict{Decision: JudgeFail, Reason: f.Reason, Evidence: ev}
	}
	if j.enoughRequests() && allPassed(ev) {
		return JudgeVerdict{Decision: JudgePass, Reason: j.passReason(ev), Evidence: ev}
	}
	return JudgeVerdict{Decision: JudgeContinue, Reason: j.continueReason(ev), Evidence: ev}
}

// Decision is Verdict's decision alone, without building the evidence and
// the reason, for callers that ask after every batch.
func (j *Judge) Decision() JudgeDecision {
	if j.st.Failed != nil {
		return JudgeFail
	}
	if !j.enoughRequests() {
		return JudgeContinue
	}
	passAt := math.Log(1 / j.cfg.PassAlpha)
	if j.errorPassLogE() < passAt {
		return JudgeContinue
	}
	for _, lt := range j.st.Latency {
		if lt.Risk.PassLogLR < passAt {
			return JudgeContinue
		}
	}
	return JudgePass
}

func (j *Judge) enoughRequests() bool {
	e := j.st.Errors
	return e.CanaryTotal >= j.cfg.MinRequests && e.StableTotal >= j.cfg.MinRequests
}

// errorPassLogE averages the two pass-side e-values of the error test (the
// relative one and the slack one), so that passing by either keeps PassAlpha.
func (j *Judge) errorPassLogE() float64 {
	return logMeanExp2(j.st.Errors.PassLogLR, j.st.ErrorFloor.logE())
}

func allPassed(ev []Evidence) bool {
	for _, e := range ev {
		if !e.Passed {
			return false
		}
	}
	return true
}

// firstFailure returns the failure of the test furthest past its bound, or
// nil when none has reached it.
func (j *Judge) firstFailure() *judgeFailure {
	if j.st.Errors.failLogE() < -math.Log(j.cfg.errorAlpha()) &&
		(len(j.st.Latency) == 0 || j.st.LatencyFail.logE() < -math.Log(j.cfg.latencyAlpha())) {
		return nil
	}
	best, margin := -1, 0.0
	if m := j.st.Errors.failLogE() + math.Log(j.cfg.errorAlpha()); m >= 0 {
		best, margin = 0, m
	}
	if len(j.st.Latency) > 0 {
		if m := j.st.LatencyFail.logE() + math.Log(j.cfg.latencyAlpha()); m >= 0 && (best < 0 || m > margin) {
			best = 1
		}
	}
	if best < 0 {
		return nil
	}
	ev := j.evidence()[best]
	return &judgeFailure{Test: ev.Test, Reason: j.failReason(ev), CanaryRequests: j.st.Errors.CanaryTotal}
}

// evidence builds one entry per test: errors first, then latency by quantile.
func (j *Judge) evidence() []Evidence {
	st := &j.st
	passAt := 1 / j.cfg.PassAlpha
	e := st.Errors
	ev := []Evidence{{
		Test:           "error-rate",
		LogE:           e.failLogE(),
		FailAt:         1 / j.cfg.errorAlpha(),
		PassLogE:       j.errorPassLogE(),
		PassAt:         passAt,
		CanaryRate:     rate(e.CanaryEvents, e.CanaryTotal),
		StableRate:     rate(e.StableEvents, e.StableTotal),
		CanaryRequests: e.CanaryTotal,
		StableRequests: e.StableTotal,
	}}
	if len(st.Latency) > 0 {
		ev = append(ev, j.latencyEvidence(passAt))
	}
	for i := range ev {
		ev[i].Passed = ev[i].PassLogE >= math.Log(ev[i].PassAt)
	}
	return ev
}

// latencyEvidence sums the latency tests up in one entry: the fail side is
// the tail-score test; the pass side is the weakest of the quantile tests,
// as all of them must pass; the rates shown are those above the bound of the
// highest quantile (p99 by default).
func (j *Judge) latencyEvidence(passAt float64) Evidence {
	st := &j.st
	x := Evidence{
		Test:           "latency",
		LogE:           st.LatencyFail.logE(),
		FailAt:         1 / j.cfg.latencyAlpha(),
		PassLogE:       math.Inf(1),
		PassAt:         passAt,
		CanaryRequests: st.LatencyFail.Tail.CanaryTotal,
		StableRequests: st.LatencyFail.Tail.StableTotal,
	}
	for _, lt := range st.Latency {
		x.PassLogE = min(x.PassLogE, lt.Risk.PassLogLR)
	}
	if top := st.Latency[len(st.Latency)-1]; top.Boundary >= 0 {
		x.BoundarySeconds = j.cfg.LatencyBounds[top.Boundary]
		x.CanaryRate = rate(sum(st.CanaryBuckets[top.Boundary+1:]), sum(st.CanaryBuckets))
		x.StableRate = rate(sum(st.StableBuckets[top.Boundary+1:]), sum(st.StableBuckets))
		x.Quantile = top.Quantile
	}
	return x
}

func rate(events, total uint64) float64 {
	if total == 0 {
		return 0
	}
	return float64(events) / float64(total)
}
