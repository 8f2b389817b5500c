package proxy

import (
	"math"
	"sync/atomic"
)

// golden is 2^64 divided by the golden ratio, rounded to an odd number. The
// sequence n*golden (mod 2^64), read as a fraction of 2^64, is the Weyl
// sequence of the golden ratio: of all such sequences it spreads points most
// evenly, so the share of values below a threshold tracks the threshold
// closely over any run of consecutive n.
const golden uint64 = 0x9e3779b97f4a7c15

// splitter decides, per request, stable or canary for the weighted share. It
// is one atomic counter shared by all routes, so a weight change does not
// restart the sequence and concurrent requests each get their own n.
//
// Why not a simple "every k-th request" counter: it would be exact, but
// periodic. At 50% it alternates, and a client that alternates two kinds of
// requests (page, then asset) would send every page to one version. The
// golden-ratio sequence never repeats, so that cannot happen, and it stays
// within 3 requests of weight*N/100 over any N consecutive requests
// (checked for every weight and N up to 1000 in split_test.go).
type splitter struct {
	n atomic.Uint64
}

// threshold turns a weight in percent into the cut-off a sequence value is
// compared with: values below it go to the canary.
func threshold(weight int32) uint64 {
	switch {
	case weight <= 0:
		return 0
	case weight >= 100:
		return math.MaxUint64
	}
	return uint64(weight) * (math.MaxUint64 / 100)
}

// canary reports whether the next request goes to the canary under the given
// threshold. Weights 0 and 100 never reach here; see compiledRoute.pick.
func (s *splitter) canary(thr uint64) bool {
	return s.n.Add(1)*golden < thr
}
