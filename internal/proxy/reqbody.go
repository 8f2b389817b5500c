package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// guardBody is a client's request body as the transport reads it on the
// net/http path. It lets the transport read the body but not close it (the
// server does that); remembers whether any of it was read, which makes
// the request impossible to retry; holds it to Limits.MaxBodyBytes and
// Limits.BodyTimeout; and keeps the first error reading it, which is the
// client's, never the version's (clienterrors.go).
type guardBody struct {
	rc      io.ReadCloser
	ctl     *http.ResponseController // sets the client connection's read deadline
	timeout time.Duration            // the longest wait for the next bytes; 0: none
	max     int64                    // the most bytes; 0: no limit
	length  int64                    // the request's Content-Length; -1: chunked
	n       int64                    // bytes read so far
	read    atomic.Bool
	reading atomic.Bool // a Read is under way, and may yet set err

	mu  sync.Mutex
	err error // the first error reading the body, io.EOF aside
}

func newGuardBody(w http.ResponseWriter, r *http.Request, lim *Limits) *guardBody {
	return &guardBody{
		rc: r.Body, ctl: http.NewResponseController(w), timeout: lim.BodyTimeout,
		max: lim.MaxBodyBytes, length: r.ContentLength,
	}
}

func (b *guardBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	b.reading.Store(true)
	defer b.reading.Store(false)
	if b.timeout > 0 {
		_ = b.ctl.SetReadDeadline(time.Now().Add(b.timeout))
	}
	if b.max > 0 && int64(len(p)) > b.max-b.n+1 {
		p = p[:b.max-b.n+1] // one byte over the limit is enough to know
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.max > 0 && b.n > b.max {
		n, err = 0, &http.MaxBytesError{Limit: b.max}
	}
	if b.timeout > 0 && (err != nil || (b.length >= 0 && b.n >= b.length)) {
		// The body is over: net/http's own watch for the client going
		// away reads next, and must not time out.
		_ = b.ctl.SetReadDeadline(time.Time{})
	}
	if err != nil && !errors.Is(err, io.EOF) {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err //nolint:wrapcheck // a transparent reader
}

// Close leaves the body to the server, which closes it.
func (b *guardBody) Close() error { return nil }

// clientErr is the error reading the client's body, if there was one. A
// client that breaks its body makes the transport's round trip fail at
// once, sometimes before the Read that failed has returned here, so a Read
// under way is awaited a moment.
func (b *guardBody) clientErr() error {
	if b == nil {
		return nil
	}
	for i := 0; i < 100 && b.reading.Load(); i++ {
		time.Sleep(time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// screenRequest holds a request served by net/http to the limits the own
// server applies to every head (h1screen.go), as far as a handler can see
// them: the method, the target's length, the number and size of the
// fields, and the Content-Length. It returns the status to refuse it with,
// or 0. The framing rules need the bytes as sent, which only Server sees:
// behind another http.Server the Proxy has net/http's rules for them.
func (p *Proxy) screenRequest(r *http.Request) int {
	lim := &p.opts.Limits
	switch {
	case r.Method == http.MethodConnect:
		return http.StatusMethodNotAllowed
	case lim.uriTooLong(r.RequestURI):
		return http.StatusRequestURITooLong
	case lim.bodyTooLarge(r.ContentLength):
		return http.StatusRequestEntityTooLarge
	}
	fields := 1 // Host, which net/http takes out of the header
	size := len(r.Method) + len(r.RequestURI) + len("  HTTP/1.1\r\nHost: \r\n\r\n") + len(r.Host)
	for k, vv := range r.Header {
		fields += len(vv)
		for _, v := range vv {
			size += len(k) + len(": \r\n") + len(v)
		}
	}
	if lim.tooManyFields(fields) || size > lim.MaxHeaderBytes {
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return 0
}
