package sim

import (
	"math"
	"testing"
)

// Each method's arms get the right traffic: at weight w the canary serves w%
// of the requests, the two arms add up to all of them, and the error rates
// are the versions' own.
func TestStreamSplit(t *testing.T) {
	sc := Scenarios(1, 3600)[0] // errors 0.1% → 1%, 100 req/s
	st := newStream(sc.phases(), 7, 1)
	const seconds = 2000
	var total, canary10, canary50 arm
	for sec := range seconds {
		st.next(sec + 1)
		s0, c0 := st.split(0)
		if c0.N != 0 {
			t.Fatalf("weight 0 sends %d requests to the canary", c0.N)
		}
		total.add(s0)
		s, c := st.split(10)
		if s.N+c.N != s0.N {
			t.Fatalf("weight 10: %d + %d requests, want %d", s.N, c.N, s0.N)
		}
		canary10.add(c)
		_, c = st.split(50)
		canary50.add(c)
	}
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4g, want %.4g ± %.2g", name, got, want, tol)
		}
	}
	near("requests per second", float64(total.N)/seconds, 100, 1)
	near("canary share at 10%", float64(canary10.N)/float64(total.N), 0.1, 0.005)
	near("canary share at 50%", float64(canary50.N)/float64(total.N), 0.5, 0.01)
	near("canary error rate", float64(canary50.Errs)/float64(canary50.N), 0.01, 0.002)
	near("stable error rate", float64(total.Errs)/float64(total.N), 0.001, 0.0004)
}

func TestP99FromBuckets(t *testing.T) {
	var a arm
	s := newSampler(stable(), false, stableP99)
	for i, p := range s.probs {
		a.Buckets[i] = uint64(math.Round(p * 1e6))
	}
	got, ok := p99ms(a)
	if !ok || math.Abs(got-stableP99*1000) > 15 {
		t.Errorf("p99 of stable's model = %v ms (%v), want about %v ms", got, ok, stableP99*1000)
	}
	if _, ok := p99ms(arm{}); ok {
		t.Error("p99 of no requests reported as known")
	}
}
