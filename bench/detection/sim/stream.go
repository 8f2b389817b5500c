package sim

import (
	"math"
	"math/rand/v2"
)

// arm is what one version served in some span of time.
type arm struct {
	N, Errs, Bad uint64
	Buckets      [nBuckets]uint64
}

func (a *arm) add(b *arm) {
	a.N += b.N
	a.Errs += b.Errs
	a.Bad += b.Bad
	for i := range a.Buckets {
		a.Buckets[i] += b.Buckets[i]
	}
}

// sampler draws one request's outcome under one version from 64 random bits:
// the high 32 decide the error, the low 32 the latency (by inverse CDF over
// the buckets), so the same bits give a request's outcome under either version.
type sampler struct {
	errBelow uint64            // error iff high bits < errBelow
	cdf      [nBuckets]uint64  // bucket i iff low bits < cdf[i] (first such i)
	slowFrom uint64            // bad (slow) iff low bits ≥ slowFrom
	probs    [nBuckets]float64 // the bucket probabilities these thresholds realise
	badSlow  bool
	// start[c] is the bucket of the smallest value in cell c of the low
	// bits (their top cellBits), where the search for a bucket begins.
	start [1 << cellBits]uint8
}

const cellBits = 12

const two32 = 1 << 32

func newSampler(v Version, badSlow bool, badAbove float64) *sampler {
	s := &sampler{errBelow: uint64(math.Round(v.ErrorRate * two32)), badSlow: badSlow}
	s.slowFrom = uint64(math.Round(v.cdf(badAbove) * two32))
	prev := uint64(0)
	for i := range s.cdf {
		c := uint64(two32)
		if i < len(latencyBounds) {
			c = uint64(math.Round(v.cdf(latencyBounds[i]) * two32))
		}
		s.cdf[i] = c
		s.probs[i] = float64(c-prev) / two32
		prev = c
	}
	for c := range s.start {
		s.start[c] = uint8(s.bucket(uint64(c) << (32 - cellBits)))
	}
	return s
}

// bucket is the first bucket whose cdf entry is above lo.
func (s *sampler) bucket(lo uint64) int {
	i := int(s.start[lo>>(32-cellBits)])
	for lo >= s.cdf[i] {
		i++
	}
	return i
}

// same reports whether two samplers draw identical outcomes.
func (s *sampler) same(o *sampler) bool {
	return s.errBelow == o.errBelow && s.cdf == o.cdf && s.slowFrom == o.slowFrom && s.badSlow == o.badSlow
}

func (s *sampler) errorRate() float64 { return float64(s.errBelow) / two32 }

// worseThan reports whether s fails more often than o, or is slower than o
// at some bucket bound (its CDF below o's there).
func (s *sampler) worseThan(o *sampler) bool {
	if s.errBelow > o.errBelow {
		return true
	}
	for i := range s.cdf {
		if s.cdf[i] < o.cdf[i] {
			return true
		}
	}
	return false
}

func (s *sampler) record(a *arm, u uint64) {
	hi, lo := u>>32, u&(two32-1)
	a.N++
	isErr := hi < s.errBelow
	if isErr {
		a.Errs++
	}
	a.Buckets[s.bucket(lo)]++
	if (s.badSlow && lo >= s.slowFrom) || (!s.badSlow && isErr) {
		a.Bad++
	}
}

// stream generates the traffic of one run, one simulated second at a time.
// Requests arrive as a Poisson process and are cut into slices of equal
// share; a weight of w% sends the first w% of slices to the canary. Every
// request's outcome is drawn under both versions at once, so all methods see
// the very same requests whatever weights they chose, and each method's
// canary and stable arms are exactly Poisson with the right rates. The
// versions and the rate follow the scenario's phases.
type stream struct {
	rng       *rand.Rand
	phases    []phase
	cur       int // index of the phase of the last second drawn
	perSlice  float64
	expNeg    float64 // exp(-perSlice), once computed
	slices    []struct{ s, c arm }
	canaryPre []arm // canaryPre[k]: canary outcomes of slices < k
	stableSuf []arm // stableSuf[k]: stable outcomes of slices ≥ k
}

// sliceCount is the granularity of weights: 10 slices allow 0, 10, ..., 100%.
const sliceCount = 10

func newStream(ps []phase, seed, streamID uint64) *stream {
	return &stream{
		rng:       rand.New(rand.NewPCG(seed, streamID)),
		phases:    ps,
		cur:       -1,
		slices:    make([]struct{ s, c arm }, sliceCount),
		canaryPre: make([]arm, sliceCount+1),
		stableSuf: make([]arm, sliceCount+1),
	}
}

// phase is the phase of the last second drawn.
func (st *stream) phase() *phase { return &st.phases[max(0, st.cur)] }

// next draws second t (the one ending at t seconds).
func (st *stream) next(t int) {
	if i := phaseAt(st.phases, t); i != st.cur {
		st.cur = i
		st.perSlice = st.phases[i].rps / sliceCount
		st.expNeg = 0
	}
	ph := &st.phases[st.cur]
	for k := range st.slices {
		sl := &st.slices[k]
		sl.s, sl.c = arm{}, arm{}
		for n := st.arrivals(); n > 0; n-- {
			u := st.rng.Uint64()
			ph.stable.record(&sl.s, u)
			if !ph.identical {
				ph.canary.record(&sl.c, u)
			}
		}
		if ph.identical {
			sl.c = sl.s
		}
	}
	for k := range st.slices {
		st.canaryPre[k+1] = st.canaryPre[k]
		st.canaryPre[k+1].add(&st.slices[k].c)
	}
	for k := len(st.slices) - 1; k >= 0; k-- {
		st.stableSuf[k] = st.stableSuf[k+1]
		st.stableSuf[k].add(&st.slices[k].s)
	}
}

// split is what each arm served this second at a canary weight in percent.
func (st *stream) split(weight int) (stable, canary *arm) {
	k := weight * sliceCount / 100
	return &st.stableSuf[k], &st.canaryPre[k]
}

// arrivals draws one slice's requests in one second: Poisson(perSlice).
func (st *stream) arrivals() int {
	if st.perSlice > 30 {
		return poisson(st.rng, st.perSlice)
	}
	if st.expNeg == 0 {
		st.expNeg = math.Exp(-st.perSlice)
	}
	return poissonInv(st.rng, st.perSlice, st.expNeg)
}

// poissonInv inverts the Poisson(m) CDF; expNeg is exp(-m).
func poissonInv(r *rand.Rand, m, expNeg float64) int {
	p, f, u, k := expNeg, expNeg, r.Float64(), 0
	for u > f && k < 1000 {
		k++
		p *= m / float64(k)
		f += p
	}
	return k
}

// poisson draws a Poisson variate by inversion, in chunks of mean ≤ 30 so
// that exp(-mean) never underflows.
func poisson(r *rand.Rand, mean float64) int {
	n := 0
	for mean > 0 {
		m := min(mean, 30)
		mean -= m
		n += poissonInv(r, m, math.Exp(-m))
	}
	return n
}
