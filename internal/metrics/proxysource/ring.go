package proxysource

import (
	"time"

	"sluice.dev/sluice/internal/proxy"
)

// sample is the proxy's counters at one instant.
type sample struct {
	at    time.Time
	stats proxy.Stats
}

// ring keeps the newest samples in time order, overwriting the oldest when
// full, so memory stays bounded however long a release runs.
type ring struct {
	buf   []sample
	start int // index in buf of the oldest sample
	n     int
}

func newRing(capacity int) ring {
	return ring{buf: make([]sample, capacity)}
}

func (r *ring) len() int { return r.n }

// at returns the i-th oldest sample, 0 <= i < len().
func (r *ring) at(i int) *sample {
	return &r.buf[(r.start+i)%len(r.buf)]
}

func (r *ring) last() *sample { return r.at(r.n - 1) }

func (r *ring) push(s sample) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = s
		r.n++
		return
	}
	r.buf[r.start] = s
	r.start = (r.start + 1) % len(r.buf)
}

// atOrBefore returns the index of the newest sample taken at or before t, or
// -1 if every sample is newer. Samples are in time order, so it bisects.
func (r *ring) atOrBefore(t time.Time) int {
	lo, hi := 0, r.n // invariant: samples before lo are <= t, from hi on > t
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid).at.After(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}
