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
	errLLR, okLL float64
	bucketLLR    [nBuckets]float64
	w            int
	out          outcome
	bake         bool
}

func newSPRT(stable, canary *sampler, alpha, beta float64, bake bool) *sprtBound {
	s := &sprtBound{upper: math.Log((1 - beta) / alpha), lower: math.Log(beta / (1 - alpha)), w: stepWeight, bake: bake}
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
	s.llr += float64(canary.Errs)*s.errLLR + float64(canary.N-canary.Errs)*s.okLL
	for i, c := range canary.Buckets {
		if c > 0 && s.bucketLLR[i] != 0 {
			s.llr += float64(c) * s.bucketLLR[i]
		}
	}
	switch {
	case s.llr >= s.upper:
		s.out, s.w = rolledBack, 0
	case s.llr <= s.lower && !s.bake:
		s.out, s.w = promoted, 100
	case t%interval == 0 && s.w < maxWeight:
		s.w = min(s.w+stepWeight, maxWeight)
	}
}
