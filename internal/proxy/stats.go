package proxy

import (
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds, in seconds, of the latency histogram
// buckets, shared by Stats and the Prometheus histogram. They are fixed so
// that snapshots taken at different times can be subtracted bucket by bucket.
// Roughly exponential from 0.5 ms to 30 s, denser between 100 ms and 1 s where
// latency objectives usually sit, and including the common thresholds (100,
// 200, 250, 500 ms, 1 s) as exact bounds. Do not modify.
var LatencyBounds = []float64{
	0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075,
	0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075,
	0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75,
	1, 1.5, 2, 3, 5, 10, 20, 30,
}

// boundNanos mirrors LatencyBounds in nanoseconds so that recording a
// latency needs no float conversion.
var boundNanos = func() []int64 {
	out := make([]int64, len(LatencyBounds))
	for i, b := range LatencyBounds {
		out[i] = int64(math.Round(b * 1e9))
	}
	return out
}()

// bucketIndex returns the bucket for d: the first bound >= d, or the overflow
// bucket len(LatencyBounds). This is Prometheus "le" semantics.
func bucketIndex(d time.Duration) int {
	return sort.Search(len(boundNanos), func(i int) bool { return boundNanos[i] >= int64(d) })
}

// Stats is a snapshot of the proxy's counters since it was created. Take two
// and Sub them to get what happened in between.
type Stats struct {
	Stable, Canary VersionStats
}

// VersionStats counts what one version served. Counters only grow, so the
// difference of two snapshots is the traffic in between (see Sub).
type VersionStats struct {
	// Requests is every request that got a response from, or on behalf of,
	// this version, counted when the response is complete.
	Requests uint64
	// Errors is the subset of Requests answered with a 5xx status, including
	// the proxy's own 502/504 when the upstream could not be reached.
	Errors uint64
	// Buckets holds per-bucket (not cumulative) latency counts:
	// Buckets[i] counts latencies in (LatencyBounds[i-1], LatencyBounds[i]]
	// and the last element, index len(LatencyBounds), counts those above the
	// last bound. Protocol upgrades (WebSocket) are counted in Requests but
	// not here, as their duration is a session, not a response time.
	Buckets []uint64
	// Sum is the total latency, in seconds, of the requests in Buckets.
	Sum float64
}

// Sub returns the traffic between old and v, where old is an earlier snapshot
// of the same version. If any counter went backwards (the proxy restarted),
// v is returned whole, as Prometheus' increase() does on a reset.
func (v VersionStats) Sub(old VersionStats) VersionStats {
	if v.Requests < old.Requests || v.Errors < old.Errors || v.Sum < old.Sum || len(v.Buckets) != len(old.Buckets) {
		return v.clone()
	}
	out := VersionStats{
		Requests: v.Requests - old.Requests,
		Errors:   v.Errors - old.Errors,
		Buckets:  make([]uint64, len(v.Buckets)),
		Sum:      v.Sum - old.Sum,
	}
	for i := range v.Buckets {
		if v.Buckets[i] < old.Buckets[i] {
			return v.clone()
		}
		out.Buckets[i] = v.Buckets[i] - old.Buckets[i]
	}
	return out
}

func (v VersionStats) clone() VersionStats {
	v.Buckets = append([]uint64(nil), v.Buckets...)
	return v
}

// Quantile estimates the q-quantile (0 <= q <= 1) of latency in seconds from
// the buckets, interpolating linearly inside the bucket that holds it, as
// Prometheus' histogram_quantile does. A quantile in the overflow bucket is
// reported as the last bound. ok is false when there are no timed requests
// or q is out of range.
func (v VersionStats) Quantile(q float64) (seconds float64, ok bool) {
	if !(q >= 0 && q <= 1) || len(v.Buckets) != len(LatencyBounds)+1 {
		return 0, false
	}
	var total uint64
	for _, c := range v.Buckets {
		total += c
	}
	if total == 0 {
		return 0, false
	}
	rank := q * float64(total)
	var cum uint64
	for i, c := range v.Buckets {
		if c == 0 || float64(cum+c) < rank {
			cum += c
			continue
		}
		if i == len(LatencyBounds) {
			return LatencyBounds[len(LatencyBounds)-1], true
		}
		lower := 0.0
		if i > 0 {
			lower = LatencyBounds[i-1]
		}
		upper := LatencyBounds[i]
		return lower + (upper-lower)*(rank-float64(cum))/float64(c), true
	}
	return LatencyBounds[len(LatencyBounds)-1], true
}

// counters are one version's live counters. Everything is an atomic add on
// the request path and an atomic load at snapshot time: no locks.
type counters struct {
	// classes counts responses by status class 1xx..5xx (index 0..4).
	classes  [5]atomic.Uint64
	buckets  []atomic.Uint64
	sumNanos atomic.Uint64
	inFlight atomic.Int64
	// lastErrorLog is the unix nanosecond time of the last logged upstream
	// error, for rate limiting.
	lastErrorLog atomic.Int64
	_            [64]byte // keep the two versions' hot counters apart
}

func newCounters() *counters {
	return &counters{buckets: make([]atomic.Uint64, len(LatencyBounds)+1)}
}

// observe records one finished request. The bucket is written before the
// status class, and snapshot reads classes before buckets, so a snapshot
// never holds a request whose latency it lacks.
func (c *counters) observe(code int, d time.Duration, timed bool) {
	if timed {
		if d < 0 {
			d = 0
		}
		c.buckets[bucketIndex(d)].Add(1)
		c.sumNanos.Add(uint64(d))
	}
	c.classes[statusClass(code)].Add(1)
}

// statusClass maps a status code to 0..4 for 1xx..5xx; anything outside
// 100..599 is treated as a server error.
func statusClass(code int) int {
	if code < 100 || code > 599 {
		return 4
	}
	return code/100 - 1
}

// classSnapshot returns the counts by status class.
func (c *counters) classSnapshot() [5]uint64 {
	var out [5]uint64
	for i := range c.classes {
		out[i] = c.classes[i].Load()
	}
	return out
}

func (c *counters) snapshot() VersionStats {
	classes := c.classSnapshot()
	return c.snapshotWith(classes)
}

func (c *counters) snapshotWith(classes [5]uint64) VersionStats {
	var v VersionStats
	for _, n := range classes {
		v.Requests += n
	}
	v.Errors = classes[4]
	v.Buckets = make([]uint64, len(c.buckets))
	for i := range c.buckets {
		v.Buckets[i] = c.buckets[i].Load()
	}
	v.Sum = float64(c.sumNanos.Load()) / 1e9
	return v
}

// Stats returns the counters of both versions since the proxy was created.
// Each version's numbers are read without stopping traffic: Errors never
// exceeds Requests, and every request counted has its latency in Buckets,
// though Buckets may already hold a few requests not yet in Requests.
func (p *Proxy) Stats() Stats {
	return Stats{Stable: p.stats[stable].snapshot(), Canary: p.stats[canary].snapshot()}
}
