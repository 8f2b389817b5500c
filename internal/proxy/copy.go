package proxy

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// copyBody streams the upstream's body to the client through a pooled
// buffer. Streams (no Content-Length, or text/event-stream) are flushed
// after every write, so events reach the client as they happen; other
// bodies are flushed every FlushInterval when it is set, else only at the
// end. It returns the first read error (the upstream broke) or write error
// (the client went away).
func (p *Proxy) copyBody(w http.ResponseWriter, res *http.Response) (readErr, writeErr error) {
	buf := p.buffers.Get()
	defer p.buffers.Put(buf)
	var dst io.Writer = w
	switch interval := p.flushInterval(res); {
	case interval < 0:
		dst = flushEach{w}
	case interval > 0:
		mlw := &latencyWriter{dst: w, latency: interval}
		defer mlw.stop()
		dst = mlw
	}
	for {
		n, rerr := res.Body.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return nil, werr //nolint:wrapcheck // classified by the caller, not shown
			}
		}
		if rerr == io.EOF {
			return nil, nil
		}
		if rerr != nil {
			return rerr, nil //nolint:wrapcheck // as above
		}
	}
}

// flushInterval is -1 (flush every write) for streams, else FlushInterval.
func (p *Proxy) flushInterval(res *http.Response) time.Duration {
	if res.ContentLength == -1 {
		return -1
	}
	if ct := res.Header["Content-Type"]; len(ct) > 0 && isEventStream(ct[0]) {
		return -1
	}
	return p.opts.FlushInterval
}

// isEventStream reports whether a Content-Type is text/event-stream, with
// or without parameters, without parsing it (and allocating) in full.
func isEventStream(ct string) bool {
	const es = "text/event-stream"
	ct = strings.TrimLeft(ct, " \t")
	if len(ct) < len(es) || !strings.EqualFold(ct[:len(es)], es) {
		return false
	}
	rest := strings.TrimLeft(ct[len(es):], " \t")
	return rest == "" || rest[0] == ';'
}

// flushEach flushes after every write.
type flushEach struct{ w http.ResponseWriter }

func (f flushEach) Write(b []byte) (int, error) {
	n, err := f.w.Write(b)
	if err != nil {
		return n, err //nolint:wrapcheck // a transparent writer
	}
	return n, http.NewResponseController(f.w).Flush() //nolint:wrapcheck // as above
}

// latencyWriter flushes at most latency after data was written, so a slow
// trickle still reaches the client without a flush per write.
type latencyWriter struct {
	dst     http.ResponseWriter
	latency time.Duration

	mu      sync.Mutex // guards dst's flush against writes, t and pending
	t       *time.Timer
	pending bool
}

func (m *latencyWriter) Write(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.dst.Write(b)
	if m.pending {
		return n, err //nolint:wrapcheck // a transparent writer
	}
	if m.t == nil {
		m.t = time.AfterFunc(m.latency, m.delayedFlush)
	} else {
		m.t.Reset(m.latency)
	}
	m.pending = true
	return n, err //nolint:wrapcheck // as above
}

func (m *latencyWriter) delayedFlush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.pending { // stopped, or already flushed
		return
	}
	_ = http.NewResponseController(m.dst).Flush()
	m.pending = false
}

func (m *latencyWriter) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = false
	if m.t != nil {
		m.t.Stop()
	}
}
