package proxy

import (
	"errors"
	"net"
	"sync"
	"time"
)

// watch does for the proxy's own server what net/http's background read
// and context do for its handlers, without a goroutine or a read per
// request: while a request waits for its upstream, a timer (reset, not
// allocated, per request) checks now and then whether the client has gone
// and whether the response head is late, and in either case fails the
// upstream read at once by setting a past read deadline on it. Fast
// responses — nearly all — never see the timer fire.
type watch struct {
	c *h1conn

	mu          sync.Mutex
	t           *time.Timer
	armed       bool
	inHead      bool // waiting for the response head: the head timeout applies
	up          net.Conn
	start       time.Time
	headTimeout time.Duration
	every       time.Duration
	touched     bool // a past read deadline was set on up
	gone        bool // the client has gone
}

// Client-gone checks start this long after the request was sent and back
// off to watchMaxEvery.
const (
	watchFirst    = 50 * time.Millisecond
	watchMaxEvery = time.Second
)

// arm starts watching the exchange on up, begun at start.
func (w *watch) arm(up net.Conn, start time.Time, headTimeout time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armed, w.inHead, w.up, w.start, w.headTimeout = true, true, up, start, headTimeout
	w.touched, w.gone, w.every = false, false, watchFirst
	d := w.next(time.Since(start))
	if w.t == nil {
		w.t = time.AfterFunc(d, w.fire)
	} else {
		w.t.Reset(d)
	}
}

// headDone ends the head timeout: bodies may take as long as they take.
func (w *watch) headDone() {
	w.mu.Lock()
	w.inHead = false
	w.mu.Unlock()
}

// disarm stops watching and reports whether up got a past deadline, and
// whether the client was found gone. Once it returns, the timer no longer
// touches anything.
func (w *watch) disarm() (touched, gone bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed && w.t != nil {
		w.t.Stop()
	}
	w.armed, w.up = false, nil
	return w.touched, w.gone
}

// stop is disarm for a connection that is done.
func (w *watch) stop() { _, _ = w.disarm() }

// next is the delay until the next check, elapsed into the exchange.
func (w *watch) next(elapsed time.Duration) time.Duration {
	d := w.every
	if w.inHead && w.headTimeout > 0 {
		d = min(d, w.headTimeout-elapsed)
	}
	return max(d, 0)
}

func (w *watch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed {
		return
	}
	elapsed := time.Since(w.start)
	switch {
	case w.inHead && w.headTimeout > 0 && elapsed >= w.headTimeout:
	case peerClosed(w.c.io.raw):
		w.gone = true
	default:
		w.every = min(2*w.every, watchMaxEvery)
		w.t.Reset(w.next(elapsed))
		return
	}
	w.touched = true
	_ = w.up.SetReadDeadline(aLongTimeAgo)
}

// isTimeout reports whether err is a timeout: a read deadline passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
