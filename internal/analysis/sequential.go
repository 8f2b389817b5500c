package analysis

import "math"

// The judge's tests are e-processes: running products of likelihood ratios,
// each of which has expectation at most one under the null hypothesis. By
// Ville's inequality such a product ever reaching 1/α has probability at most
// α, however often it is looked at, so the judge may decide after any batch.
//
// Both arms are measured over the same time, so a shared cause (load, a slow
// database) moves both alike. The tests therefore compare the arms with each
// other and not with a fixed floor: given that a batch held nc canary and ns
// stable requests and E "events" in all (errors, or requests slower than a
// latency bound), under "the canary is no worse" each event is a canary event
// with probability p0 = nc/(nc+ns), whatever the common event rate. If the
// canary's event rate is r times stable's, that probability becomes
// q(r) = r·p0 / (r·p0 + 1 - p0). The likelihood ratio of a batch with x canary
// events out of E is then
//
//	(q/p0)^x · ((1-q)/(1-p0))^(E-x) = r^x / (1 + (r-1)·p0)^E.
//
// With Poisson arrivals x is exactly Binomial(E, p0) under the null. With a
// fixed number of requests per arm it is hypergeometric instead, which is
// smaller in the convex order (Hoeffding, 1963); the ratio is convex in x, so
// its expectation stays at most one and the bound still holds. The judge
// applies these ratios to windows of pooled batches (judge_window.go), not
// to single batches, so that at low traffic p0 is about the canary's
// weight rather than its share of one tiny batch.

// seqRisk is the relative-risk e-process for one kind of event: the fail side
// is a mixture, with equal weights, over the alternatives "the canary's rate is
// r times stable's" for each r of a grid, with fixed-share switching so that
// it stays armed however long the canary was healthy (sequential_switch.go);
// the pass side tests the null "the canary's rate is at least PassRatio
// times stable's" against "equal rates".
type seqRisk struct {
	// Fail is the fail side: the mixture over the grid of ratios.
	Fail switchMix `json:"fail"`
	// PassLogLR is ln of the pass-side product.
	PassLogLR float64 `json:"passLogLR"`
	// CanaryEvents and StableEvents count the events folded in.
	CanaryEvents uint64 `json:"canaryEvents"`
	StableEvents uint64 `json:"stableEvents"`
	// CanaryTotal and StableTotal count the requests folded in.
	CanaryTotal uint64 `json:"canaryTotal"`
	StableTotal uint64 `json:"stableTotal"`
}

func newSeqRisk(prior []float64) seqRisk { return seqRisk{Fail: newSwitchMix(prior)} }

// observe folds in one window: nc and ns requests, xc and xs events. The
// fail side mixes over ratios with the prior weights; with ratios nil only
// the pass side is kept.
func (s *seqRisk) observe(ratios, prior []float64, passRatio float64, nc, ns, xc, xs uint64) {
	xc, xs = min(xc, nc), min(xs, ns)
	s.CanaryTotal += nc
	s.StableTotal += ns
	s.CanaryEvents += xc
	s.StableEvents += xs
	events := xc + xs
	informative := nc > 0 && ns > 0 && events > 0
	if len(ratios) > 0 && nc > 0 {
		lr := make([]float64, len(ratios))
		if informative {
			p0 := float64(nc) / float64(nc+ns)
			for i, r := range ratios {
				lr[i] = riskLogLR(r, p0, xc, events)
			}
		}
		s.Fail.update(lr, prior, nc)
	}
	if !informative {
		// Every event landed where all the traffic went: no information.
		return
	}
	p0 := float64(nc) / float64(nc+ns)
	s.PassLogLR -= riskLogLR(passRatio, p0, xc, events)
}

// riskLogLR is ln of r^x / (1+(r-1)p0)^E: the batch likelihood ratio of
// "canary rate r times stable's" against "equal rates".
func riskLogLR(r, p0 float64, x, events uint64) float64 {
	return float64(x)*math.Log(r) - float64(events)*math.Log1p((r-1)*p0)
}

// failLogE is ln of the fail-side e-value.
func (s *seqRisk) failLogE() float64 { return s.Fail.logE() }

// seqFloor is a one-sample e-process on the canary's own error rate against
// the null "the canary fails at least a share slack of its requests", mixed
// over alternatives below slack. It lets a canary pass when errors are so rare
// in both arms that comparing them would take hours.
type seqFloor struct {
	LogLR []float64 `json:"logLR"`
}

// floorFractions place the floor test's alternatives at these fractions of
// the slack.
var floorFractions = []float64{0.1, 0.25, 0.5}

func newSeqFloor() seqFloor { return seqFloor{LogLR: make([]float64, len(floorFractions))} }

// observe folds in n canary requests of which x failed. Under any error rate
// p ≥ slack a request's ratio has expectation p·pa/slack + (1-p)(1-pa)/(1-slack)
// ≤ 1, so the product is an e-process for the whole composite null.
func (f *seqFloor) observe(slack float64, n, x uint64) {
	x = min(x, n)
	if n == 0 {
		return
	}
	for i, fr := range floorFractions {
		pa := slack * fr
		f.LogLR[i] += float64(x)*math.Log(fr) + float64(n-x)*(math.Log1p(-pa)-math.Log1p(-slack))
	}
}

func (f *seqFloor) logE() float64 { return logMeanExp(f.LogLR) }

// logMeanExp is ln(mean(exp(v))), computed without overflow.
func logMeanExp(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s/float64(len(v)))
}

// logMeanExp2 is logMeanExp of two values, without allocating.
func logMeanExp2(a, b float64) float64 {
	m := max(a, b)
	if math.IsInf(m, 0) {
		return m
	}
	return m + math.Log((math.Exp(a-m)+math.Exp(b-m))/2)
}

// seqTilt is the latency fail test: a permutation e-process on a score of
// each request's latency bucket. Given a window's N timed requests, nc of
// them the canary's, "the canary is no slower" makes the canary's set a
// uniformly random nc-subset of the window, so for any score s fixed before
// the window,
//
//	exp(θ·Σ_canary s) / ((1/N)·Σ_batch exp(θ·s))^nc
//
// has expectation at most one (sampling without replacement is smaller in
// the convex order than with replacement, Hoeffding 1963). It is mixed with
// equal weights over tiltThetas, with switching (sequential_switch.go). The
// scores are log-survival ("how rare is a
// request this slow") under stable's running histogram, counted only above
// stable's median, so that they weigh a slower tail heavily, a slower body
// less, and never credit a canary for being faster at the fast end.
type seqTilt struct {
	// Fail is the mixture over the tilts, with switching.
	Fail switchMix `json:"fail"`
	// Body selects the body scores (judge_latency.go) instead of the tail
	// scores described above.
	Body        bool   `json:"body,omitempty"`
	CanaryTotal uint64 `json:"canaryTotal"`
	StableTotal uint64 `json:"stableTotal"`
	// Scores are the bucket scores in use, placed when stable had served
	// ScoredAt requests; nil until it has served tiltMinStable.
	Scores   []float64 `json:"scores,omitempty"`
	ScoredAt uint64    `json:"scoredAt,omitempty"`
	// expm1 caches expm1(θ·score) per θ and bucket, and canary and
	// canaryExpm1 the same for a canary request; derived from Scores.
	expm1       [][]float64
	canary      []float64
	canaryExpm1 [][]float64
}

// tiltThetas are the tilts mixed over: small ones suit a broad shift of the
// body, large ones a few very slow requests.
var tiltThetas = []float64{0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 1, 1.5}

// tiltPrior weighs the tilts equally.
var tiltPrior = uniform(len(tiltThetas))

const (
	// tiltMinStable is how many stable requests place the first scores.
	tiltMinStable = 100
	// tiltRescore: the scores are placed again each time stable's count has
	// grown by this fraction, which keeps them current at little cost.
	tiltRescore = 1.0 / 64
)

func newSeqTilt() seqTilt { return seqTilt{Fail: newSwitchMix(tiltPrior)} }

// thetas are the tilts this test mixes over.
func (t *seqTilt) thetas() []float64 {
	if t.Body {
		return bodyThetas
	}
	return tiltThetas
}

func (t *seqTilt) prior() []float64 {
	if t.Body {
		return bodyPrior
	}
	return tiltPrior
}

// rescore places the scores again from stable's cumulative histogram h (the
// batches before the current one) when it has grown enough.
func (t *seqTilt) rescore(h []uint64) {
	total := sum(h)
	if total < tiltMinStable || (t.Scores != nil && float64(total) < float64(t.ScoredAt)*(1+tiltRescore)) {
		return
	}
	if len(t.Scores) != len(h) {
		t.Scores = make([]float64, len(h))
	}
	t.ScoredAt = total
	t.expm1 = nil
	if t.Body {
		bodyScores(t.Scores, h, total)
		return
	}
	above := total
	for i := range h {
		// P(stable slower than bucket i's lower edge), smoothed by one.
		surv := (float64(above) + 1) / (float64(total) + 1)
		t.Scores[i] = max(0, -math.Log(surv)-math.Ln2)
		above -= h[i]
	}
}

// observe folds in one batch's bucket counts, then rescores from the
// cumulative stable histogram h including this batch, for the next one. A
// canary request in bucket i is scored as the mix scoring[i] of stable's
// buckets (the latency margin, judge_margin.go).
func (t *seqTilt) observe(stable, canary, h []uint64, scoring [][]float64) {
	defer t.rescore(h)
	ns, nc := sum(stable), sum(canary)
	t.StableTotal += ns
	t.CanaryTotal += nc
	if ns == 0 || nc == 0 || t.Scores == nil {
		// With one arm empty, which requests are the canary's is no
		// random at all: the ratio, a constant at most one, is taken as one.
		return
	}
	if t.expm1 == nil {
		t.cache(scoring)
	}
	var canaryScore float64
	scored := false
	for i, s := range t.Scores {
		cs := t.canary[i]
		canaryScore += float64(canary[i]) * cs
		scored = scored || (s != 0 && stable[i] > 0) || (cs != 0 && canary[i] > 0)
	}
	thetas := t.thetas()
	lr := make([]float64, len(thetas))
	defer func() { t.Fail.update(lr, t.prior(), nc) }()
	if !scored {
		return // every request of the batch scores zero: the ratio is exactly one
	}
	n := float64(ns + nc)
	for k, th := range thetas {
		m := 0.0 // Σ over the batch of exp(θs) - 1; zero-score requests add nothing
		for i, e := range t.expm1[k] {
			if e != 0 {
				m += float64(stable[i]) * e
			}
			if ec := t.canaryExpm1[k][i]; ec != 0 {
				m += float64(canary[i]) * ec
			}
		}
		lr[k] = th*canaryScore - float64(nc)*math.Log1p(m/n)
	}
}

// cache derives the scores' exponentials and the canary's scores.
func (t *seqTilt) cache(scoring [][]float64) {
	t.canary = make([]float64, len(t.Scores))
	for i, w := range scoring {
		for k, x := range w {
			t.canary[i] += x * t.Scores[k]
		}
	}
	thetas := t.thetas()
	t.expm1 = make([][]float64, len(thetas))
	t.canaryExpm1 = make([][]float64, len(thetas))
	for k, th := range thetas {
		t.expm1[k] = make([]float64, len(t.Scores))
		t.canaryExpm1[k] = make([]float64, len(t.Scores))
		for i, s := range t.Scores {
			t.expm1[k][i] = math.Expm1(th * s)
			t.canaryExpm1[k][i] = math.Expm1(th * t.canary[i])
		}
	}
}

func (t *seqTilt) logE() float64 { return t.Fail.logE() }
