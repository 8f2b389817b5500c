package proxy

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Outlier detection: a version whose upstream keeps failing at the gateway
// level (cannot be reached, breaks the exchange, answers 502/503/504 or
// times out) is ejected for a while, and its traffic goes to the other
// version. Application errors (a 500 from the app) do not eject: judging a
// version's quality is the analysis's job, and a canary that answers badly
// must keep getting its share so that the analysis sees it.
//
// A version is only ejected when the other one can take its traffic: the
// route has it and it is not ejected itself. So the proxy never ejects both,
// and never ejects the only upstream.

// Health is the outlier-detection state of both versions, for the shell: a
// canary ejection means the canary cannot serve, which the release must
// treat as a failed canary even though few of its requests were counted.
type Health struct {
	Stable, Canary VersionHealth
}

// VersionHealth is one version's outlier-detection state. Counters only
// grow, so a shell that polls can compare two readings to see whether an
// ejection happened in between, even one that has already ended.
type VersionHealth struct {
	// Ejected is true while the version gets no traffic because it failed.
	Ejected bool
	// EjectedUntil is when the current ejection ends; zero if not ejected.
	EjectedUntil time.Time
	// ConsecutiveErrors counts gateway failures since the last success.
	ConsecutiveErrors int
	// Ejections counts every ejection since the proxy was created.
	Ejections uint64
	// LastEjection is when the latest ejection began; zero if never.
	LastEjection time.Time
	// LastReason says why the latest ejection happened, with the last
	// error seen, for people reading the release's status.
	LastReason string
	// Retries counts requests that failed on this version and were sent
	// again to the other version. Each of them is also counted, as a 502,
	// in this version's Stats.
	Retries uint64
}

// outlier is one version's live outlier state. The request path reads
// ejectedUntil (one atomic load) and, on each response, touches consecutive
// only when it must change.
type outlier struct {
	consecutive  atomic.Int32
	ejectedUntil atomic.Int64 // unix nanoseconds; 0 means in rotation
	ejections    atomic.Uint64
	retries      atomic.Uint64
	last         atomic.Pointer[ejection]
}

// ejection records the latest ejection of a version.
type ejection struct {
	at     time.Time
	reason string
}

// outliers holds both versions' state and the rules.
type outliers struct {
	v         [numVersions]outlier
	threshold int32 // consecutive failures that eject; 0 disables
	base, max time.Duration
	now       func() time.Time
	mu        sync.Mutex // serialises ejections, so both versions are never out
}

// ejected reports whether v is out of rotation now. An expired ejection is
// ended here, lazily: the first request after it sees the version back.
func (o *outliers) ejected(v version) bool {
	until := o.v[v].ejectedUntil.Load()
	if until == 0 {
		return false
	}
	if o.now().UnixNano() < until {
		return true
	}
	if o.v[v].ejectedUntil.CompareAndSwap(until, 0) {
		o.v[v].consecutive.Store(0)
	}
	return false
}

// succeeded records a response that was not a gateway failure.
func (o *outliers) succeeded(v version) {
	if o.v[v].consecutive.Load() != 0 {
		o.v[v].consecutive.Store(0)
	}
}

// failed records a gateway failure of v. It ejects v when the failures reach
// the threshold and otherIn says the other version can take the traffic.
func (o *outliers) failed(v version, otherIn bool, cause string) {
	o.ejected(v) // ends an expired ejection first, which restarts the count
	n := o.v[v].consecutive.Add(1)
	if o.threshold <= 0 || n < o.threshold || !otherIn {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	other := 1 - v
	if o.ejected(v) || o.ejected(other) {
		return
	}
	k := o.v[v].ejections.Add(1)
	d := min(o.base*time.Duration(k), o.max)
	now := o.now()
	o.v[v].last.Store(&ejection{at: now, reason: fmt.Sprintf("%d consecutive gateway failures; last: %s", n, cause)})
	o.v[v].ejectedUntil.Store(now.Add(d).UnixNano())
}

// reset forgets v's failures and ends its ejection: its upstream changed, so
// its history says nothing about the new one. Counters are kept.
func (o *outliers) reset(v version) {
	o.v[v].ejectedUntil.Store(0)
	o.v[v].consecutive.Store(0)
}

func (o *outliers) health(v version) VersionHealth {
	s := &o.v[v]
	h := VersionHealth{
		ConsecutiveErrors: int(s.consecutive.Load()),
		Ejections:         s.ejections.Load(),
		Retries:           s.retries.Load(),
	}
	if o.ejected(v) {
		h.Ejected = true
		h.EjectedUntil = time.Unix(0, s.ejectedUntil.Load())
	}
	if e := s.last.Load(); e != nil {
		h.LastEjection, h.LastReason = e.at, e.reason
	}
	return h
}

// Health returns the outlier-detection state of both versions. It is cheap
// (a few atomic loads): poll it on every tick.
func (p *Proxy) Health() Health {
	return Health{Stable: p.outliers.health(stable), Canary: p.outliers.health(canary)}
}
