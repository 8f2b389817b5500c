package sim

import "math"

// sprtBound is Wald's sequential probability ratio test of the canary's own
// requests with the true parameters of both versions known: per request the
// log-likelihood ratio of its error and latency bucket under the canary's
// model against stable's. It crosses ln((1-β)/α) to roll back and ln(β/(1-α))
// to promote. Knowing the truth, no test with these error rates stops sooner
// on average (Wald–Wolfowitz), so it is the floor the others are measured
// against. It follows the shared plan's weights.
type sprtBound struct {
	llr          float64
	upper, lower float64
	st           *stream
	// tables holds each phase's per-request log-likelihood ratios,
	// built when the phase is first met.
	tables map[int]*sprtTable
	w      int
	out    outcome
	plan   plan
}

// sprtTable is one phase's log-likelihood ratios of the canary's model
// against stable's, per error and per latency bucket.
type sprtTable struct {
	errLLR, okLL float64
	bucketLLR    [nBuckets]float64
}

func newSPRT(st *stream, alpha, beta float64, p plan) *sprtBound {
	return &sprtBound{upper: math.Log((1 - beta) / alpha), lower: math.Log(beta / (1 - alpha)),
		st: st, tables: map[int]*sprtTable{}, w: p.start(), plan: p}
}

// newSPRTTable builds a phase's table. In a phase where the canary is no
// worse than stable (no more errors, and no slower anywhere) it is all
// zeros: knowing the truth, the floor would not roll the canary back for
// what it serves then, even though its requests do tell the two apart.
func newSPRTTable(stable, canary *sampler) *sprtTable {
	s := &sprtTable{}
	if !canary.worseThan(stable) {
		return s
	}
	ps, pc := stable.errorRate(), canary.errorRate()
	if ps != pc {
		s.errLLR = math.Log(pc / ps)
		s.okLL = math.Log((1 - pc) / (1 - ps))
	}
	for i := range s.bucketLLR {
		a, b := canary.probs[i], stable.probs[i]
		switch {
		case a == b:
		case b == 0:
			s.bucketLLR[i] = math.Inf(1)
		case a == 0:
			s.bucketLLR[i] = math.Inf(-1)
		default:
			s.bucketLLR[i] = math.Log(a / b)
		}
	}
	return s
}

func (s *sprtBound) weight() int    { return s.w }
func (s *sprtBound) state() outcome { return s.out }

func (s *sprtBound) tick(t int, _, canary *arm) {
	tb, ok := s.tables[s.st.cur]
	if !ok {
		ph := s.st.phase()
		tb = newSPRTTable(ph.stable, ph.canary)
		s.tables[s.st.cur] = tb
	}
	s.llr += float64(canary.Errs)*tb.errLLR + float64(canary.N-canary.Errs)*tb.okLL
	for i, c := range canary.Buckets {
		if c > 0 && tb.bucketLLR[i] != 0 {
			s.llr += float64(c) * tb.bucketLLR[i]
		}
	}
	switch {
	case s.llr >= s.upper:
		s.out, s.w = rolledBack, 0
	case s.llr <= s.lower && s.plan.promotes():
		s.out, s.w = promoted, 100
	case s.plan.hold == 0 && t%interval == 0 && s.w < maxWeight:
		s.w = min(s.w+stepWeight, maxWeight)
	}
}
