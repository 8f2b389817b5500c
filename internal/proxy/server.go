package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server timeouts of NewServer, the defaults of Limits.HeaderTimeout and
// Limits.IdleTimeout. Reading a request's headers is bounded so idle or
// slow clients cannot hold connections forever; a body is bounded by the
// wait for its next bytes (Limits.BodyTimeout), not its length, and
// writing responses not at all, so uploads and streams of any length pass.
const (
	ServerReadHeaderTimeout = 10 * time.Second
	ServerIdleTimeout       = 2 * time.Minute
)

// shutdownNewConnGrace is how long Shutdown lets a connection that has
// not sent a request yet live, as net/http does: its request may be on the
// way.
const shutdownNewConnGrace = 5 * time.Second

// Server serves a Proxy over HTTP/1.1 and HTTP/2 cleartext. Nearly all
// traffic — bodiless GET, HEAD, OPTIONS and TRACE, and POST, PUT, PATCH and
// DELETE with a Content-Length or plainly chunked body of up to 16 KiB, to
// plain-http upstreams — is served by its own connection loop (h1conn.go),
// which costs a fraction of net/http's server per request: no goroutine,
// context, map or background read per request, and two allocations. Every
// other connection is handed, at a request boundary, to an http.Server with
// h2c, which then serves it to the end: larger bodies, upgrades, HTTP/2,
// and anything odd (see h1parse.go). Both route, retry, eject and count
// with the same code; a request that is not replayable is never sent twice.
type Server struct {
	p                 *Proxy
	std               *http.Server
	handoff           *handoffListener
	readHeaderTimeout time.Duration // Limits.HeaderTimeout; 0: none
	bodyTimeout       time.Duration // Limits.BodyTimeout; 0: none
	idleTimeout       time.Duration // Limits.IdleTimeout; 0: none
	epoch             time.Time     // deadlines are nanoseconds since epoch, on the monotonic clock

	shutting  atomic.Bool
	handoffs  atomic.Uint64 // connections handed to std, for tests
	bigLent   atomic.Int64  // body buffers lent to connections, for tests
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*h1conn]struct{}
	started   bool
	stdDone   chan struct{}
	sweepStop chan struct{}
}

// NewServer returns a server for the proxy: HTTP/1.1, and HTTP/2
// cleartext (h2c with prior knowledge), so clients and sidecars that speak
// HTTP/2 without TLS, gRPC ones included, can use the local data plane.
// Serve it on a listener; Shutdown drains requests in flight; then call
// CloseIdleConnections.
func (p *Proxy) NewServer() *Server {
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	lim := &p.opts.Limits
	return &Server{
		p: p,
		std: &http.Server{
			Handler:           p,
			Protocols:         &protos,
			ReadHeaderTimeout: lim.HeaderTimeout,
			IdleTimeout:       lim.IdleTimeout,
			// The gate refuses a larger head first; this bounds HTTP/2's.
			MaxHeaderBytes: lim.MaxHeaderBytes,
			ConnState:      gateConnState,
			ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		},
		handoff:           newHandoffListener(),
		readHeaderTimeout: lim.HeaderTimeout,
		bodyTimeout:       lim.BodyTimeout,
		idleTimeout:       lim.IdleTimeout,
		epoch:             time.Now(),
		listeners:         make(map[net.Listener]struct{}),
		conns:             make(map[*h1conn]struct{}),
		stdDone:           make(chan struct{}),
		sweepStop:         make(chan struct{}),
	}
}

// Serve accepts connections on ln until Shutdown or Close, and then
// returns http.ErrServerClosed, as http.Server does. ln is closed when
// Serve returns.
func (s *Server) Serve(ln net.Listener) error {
	if !s.trackListener(ln) {
		_ = ln.Close()
		return http.ErrServerClosed
	}
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Temporary() { //nolint:staticcheck // as net/http: too many open files and the like pass
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		backoff = 0
		c := s.newConn(nc)
		if c == nil {
			_ = nc.Close()
			continue
		}
		go c.serve()
	}
}

// trackListener records ln and starts the handoff server and the
// timeout sweeper with the first listener; false once shutting down.
func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	if !s.started {
		s.started = true
		go func() {
			defer close(s.stdDone)
			_ = s.std.Serve(s.handoff)
		}()
		go s.sweep()
	}
	return true
}

// Shutdown stops accepting, closes idle connections, and waits for the
// requests in flight on both servers to finish, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginShutdown()
	stdErr := make(chan error, 1)
	go func() { stdErr <- s.std.Shutdown(ctx) }()
	err := s.drain(ctx)
	if e := <-stdErr; err == nil && e != nil {
		err = fmt.Errorf("handoff server: %w", e)
	}
	s.stopBackground()
	return err
}

// Close closes the listeners and every connection at once, in flight or
// not.
func (s *Server) Close() error {
	s.beginShutdown()
	s.mu.Lock()
	for c := range s.conns {
		c.closeIf(func(uint64) bool { return true })
	}
	s.mu.Unlock()
	err := s.std.Close()
	s.stopBackground()
	if err != nil {
		return fmt.Errorf("handoff server: %w", err)
	}
	return nil
}

func (s *Server) beginShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutting.Store(true)
	for ln := range s.listeners {
		_ = ln.Close()
	}
	_ = s.handoff.Close()
}

func (s *Server) stopBackground() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.sweepStop:
	default:
		close(s.sweepStop)
	}
}

// drain closes idle connections until none is left, polling as
// http.Server.Shutdown does.
func (s *Server) drain(ctx context.Context) error {
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("shutdown: %w", ctx.Err())
		case <-timer.C:
			wait = min(2*wait, 500*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// closeIdle closes the connections that wait for a request, and those
// that never sent one for longer than shutdownNewConnGrace, and reports
// whether no connection is left.
func (s *Server) closeIdle() bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.closeIf(func(st uint64) bool {
			switch phaseOf(st) {
			case phaseIdle:
				return true
			case phaseNew:
				accepted := c.accepted
				return now-accepted > int64(shutdownNewConnGrace)
			}
			return false
		})
	}
	return len(s.conns) == 0
}

// sweep closes connections whose idle, head or body time is up, a body's
// with a 408. One goroutine for all connections replaces a deadline change
// per request.
func (s *Server) sweep() {
	tick := time.Second
	for _, d := range []time.Duration{s.readHeaderTimeout, s.bodyTimeout, s.idleTimeout} {
		if d > 0 {
			tick = min(tick, d/20)
		}
	}
	tick = max(tick, 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.sweepStop:
			return
		case <-t.C:
		}
		now := s.now()
		s.mu.Lock()
		for c := range s.conns {
			if st := c.state.Load(); phaseOf(st) == phaseBody && now > deadlineOf(st) {
				c.timeOutBody(st)
				continue
			}
			c.closeIf(func(st uint64) bool {
				switch phaseOf(st) {
				case phaseNew, phaseIdle, phaseHead:
					return now > deadlineOf(st)
				}
				return false
			})
		}
		s.mu.Unlock()
	}
}

// now is the time since s.epoch in nanoseconds.
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

// noDeadline is a deadline that never passes.
const noDeadline = int64(1) << 58

// deadline is the deadline d from now; none when d is 0 (no timeout).
func (s *Server) deadline(d time.Duration) int64 {
	if d <= 0 {
		return noDeadline
	}
	return s.now() + int64(d)
}

func (s *Server) newConn(nc net.Conn) *h1conn {
	c := newH1Conn(s, nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting.Load() {
		c.release()
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) forget(c *h1conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}
