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

	pre      []byte // read by prebuffer, given to the transport first
	complete bool   // the whole body is in pre
}

// maxBufferedBody is how much of an HTTP/1.1 chunked body the net/http
// path reads before it contacts the upstream, as nginx buffers a request
// body: a body that ends within it is checked whole — an invalid chunk, a
// reset, a stall or one over MaxBodyBytes is refused with nothing sent
// upstream — and goes upstream with its length. A longer one is streamed,
// and an error found in it aborts the upstream exchange. HTTP/2 bodies are
// always streamed: framed by the protocol, they cannot be invalid chunks,
// and a gRPC stream waits for answers before it sends more.
const maxBufferedBody = 64 << 10

// prebuffer reads up to maxBufferedBody of the body into pre; the error is
// the client's (see clientErr).
func (b *guardBody) prebuffer() error {
	buf := make([]byte, 0, 4<<10)
	for len(buf) < maxBufferedBody {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := b.readClient(buf[len(buf):min(cap(buf), maxBufferedBody)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			b.pre, b.complete = buf, true
			return nil
		}
		if err != nil {
			return err
		}
	}
	b.pre = buf
	return nil
}

func newGuardBody(w http.ResponseWriter, r *http.Request, lim *Limits) *guardBody {
	return &guardBody{
		rc: r.Body, ctl: http.NewResponseController(w), timeout: lim.BodyTimeout,
		max: lim.MaxBodyBytes, length: r.ContentLength,
	}
}

func (b *guardBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	if len(b.pre) > 0 {
		n := copy(p, b.pre)
		b.pre = b.pre[n:]
		return n, nil
	}
	if b.complete {
		return 0, io.EOF
	}
	return b.readClient(p)
}

// readClient reads the client's body, held to the limits.
func (b *guardBody) readClient(p []byte) (int, error) {
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
