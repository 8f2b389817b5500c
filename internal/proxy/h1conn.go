package proxy

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// h1conn is one client connection of the proxy's own server, served by one
// goroutine: read a request head, parse it, route it, forward it, copy the
// response back, and again. Its buffers and parsed structures are reused
// from one request to the next.
//
// Timeouts are not read deadlines, which would cost a deadline change per
// request: the connection publishes its phase and deadline in one atomic
// word, and the server's sweeper closes it when the deadline of an idle or
// header-reading phase has passed (server.go).
type h1conn struct {
	s        *Server
	nc       net.Conn
	io       rawIO  // reads and writes nc
	ip       string // the client's address, for X-Forwarded-For
	bufs     *connBufs
	buf      []byte // read buffer; unread bytes are buf[r:w]
	r, w     int
	scanned  int          // bytes of buf[r:w] already searched for the head's end
	out      []byte       // response bytes not yet written
	reqBuf   bytes.Buffer // the request for the upstream
	state    atomic.Uint64
	req      h1req
	resp     upResp
	watch    watch
	handed   bool    // the connection went to net/http
	big      *[]byte // a body buffer from bodyBufPool, while buf is it
	bigNext  bool    // the last request needed big: read the next into one
	wire     int     // the body's length in buf, as sent (chunked: encoded)
	loop     clientLoop
	accepted int64 // when the connection was accepted, in the server's time
	refusal  int   // the status a refused request is answered with
	linger   bool  // a refusal was written: read what the client still sends before closing
}

// Phases of a connection, in the low bits of its state word; the high bits
// hold the phase's deadline, in nanoseconds since the server's epoch.
const (
	phaseNew    uint64 = iota // accepted, no request yet
	phaseIdle                 // between requests, nothing buffered
	phaseHead                 // reading a request head
	phaseActive               // serving a request: no deadline
	phaseClosed               // closed by the server; the goroutine stops
	phaseGone                 // handed off or finished
	phaseBody                 // reading a request body: a timeout is answered 408
	phaseBits   = 3
)

func phaseOf(st uint64) uint64                   { return st & (1<<phaseBits - 1) }
func deadlineOf(st uint64) int64                 { return int64(st >> phaseBits) }
func packState(ph uint64, deadline int64) uint64 { return uint64(deadline)<<phaseBits | ph }

// Read buffer sizes: a head the own server serves fits maxHeadBuffer; a
// larger one, up to Limits.MaxHeaderBytes, is read and screened, then
// served by net/http.
const (
	inBufferSize  = 4 << 10
	maxHeadBuffer = 16 << 10
	outBufferSize = 4 << 10
)

// bodyBufSize holds the largest head and body the own server reads whole,
// with a read buffer's room to spare: a read that fills the buffer is
// followed by another (h1loop_unix.go), which would find nothing.
const bodyBufSize = maxHeadBuffer + maxH1Body + inBufferSize

// bodyBufPool lends a request whose body does not fit the read buffer a
// larger one, until its connection is next idle: an idle connection holds
// its small buffer only, as nginx frees its body buffer after each request.
var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, bodyBufSize); return &b }}

// connBufs are a connection's buffers, pooled between connections.
type connBufs struct{ in, out []byte }

var connBufPool = sync.Pool{New: func() any {
	return &connBufs{in: make([]byte, inBufferSize), out: make([]byte, 0, outBufferSize)}
}}

func newH1Conn(s *Server, nc net.Conn) *h1conn {
	c := &h1conn{s: s, nc: nc, bufs: connBufPool.Get().(*connBufs)}
	c.buf, c.out = c.bufs.in, c.bufs.out[:0]
	c.io.init(nc)
	if ip, _, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		c.ip = ip
	}
	c.watch.c = c
	c.accepted = s.now()
	c.state.Store(packState(phaseNew, s.deadline(s.readHeaderTimeout)))
	return c
}

// release returns the buffers to the pool; the connection is done.
func (c *h1conn) release() {
	if c.bufs == nil {
		return
	}
	c.returnBig()
	if len(c.buf) == inBufferSize {
		c.bufs.in = c.buf
	}
	if cap(c.out) <= 64<<10 {
		c.bufs.out = c.out[:0]
	}
	connBufPool.Put(c.bufs)
	c.bufs, c.buf, c.out = nil, nil, nil
	c.req = h1req{}
	c.resp = upResp{}
}

func (c *h1conn) serve() {
	defer func() {
		c.watch.stop()
		c.s.forget(c)
		if !c.handed {
			if c.linger {
				linger(c.nc)
			}
			_ = c.nc.Close()
		}
		c.release()
	}()
	if c.serveReady() {
		return
	}
	for {
		switch c.next() {
		case stepHandoff:
			c.handed = c.handoff()
			return
		case stepEnd:
			return
		}
	}
}

// errWait is read's answer inside the client's read callback when the
// client has sent nothing more yet: the callback returns, to be called
// again when it has.
var errWait = errors.New("wait for the client")

// What next, after a step of the connection's loop.
type step int

const (
	stepNext    step = iota // the next request
	stepWait                // wait until the client sends more
	stepEnd                 // close the connection
	stepHandoff             // hand the connection to net/http
)

// next reads, screens, routes and forwards one request.
func (c *h1conn) next() step {
	p := c.s.p
	n, err := c.readHead()
	switch {
	case errors.Is(err, errWait):
		return stepWait
	case errors.Is(err, errRefused):
		return c.refuse(c.refusal)
	case err != nil:
		return stepEnd
	}
	// Every head is screened (h1screen.go); one the own parser reads has
	// its framing checked there, and only the limits are left.
	var rt *compiledRoute
	if n <= maxHeadBuffer && parseRequest(string(c.buf[c.r:c.r+n]), &c.req) {
		if code := c.req.checkParsed(&p.opts.Limits); code != 0 {
			return c.refuse(code)
		}
		if rt = p.route.Load(); rt != nil && !rt.pooled {
			rt = nil
		}
	} else if code, _, _ := screenHead(c.buf[c.r:c.r+n], &p.opts.Limits); code != 0 {
		return c.refuse(code)
	}
	// A plain body (one Content-Length or plain chunks, at most maxH1Body)
	// is read whole before the request is forwarded; anything odder is
	// net/http's. Only a request the own server forwards is read: reading
	// a chunked body decodes it in place, and what is handed to net/http
	// must be the bytes as sent.
	if rt != nil {
		ours, err := c.readBody(n)
		switch {
		case errors.Is(err, errWait):
			return stepWait
		case errors.Is(err, errRefused):
			return c.refuse(c.refusal)
		case err != nil:
			return stepEnd
		case !ours:
			rt = nil
		}
	}
	if rt == nil {
		return stepHandoff
	}
	if !c.to(phaseActive, 0) {
		return stepEnd
	}
	c.r += n
	v := p.avoidEjected(rt, rt.pick(&c.req, &p.split))
	ok := c.forward(rt, v)
	c.r += c.wire // forward sent buf[r:r+bodyLen] as the body
	if !ok || c.s.shutting.Load() {
		return stepEnd
	}
	if c.r == c.w {
		c.r, c.w = 0, 0
		c.bigNext = n+c.wire > inBufferSize
		c.putBig()
		if !c.to(phaseIdle, c.s.deadline(c.s.idleTimeout)) {
			return stepEnd
		}
	} else if !c.to(phaseHead, c.s.deadline(c.s.readHeaderTimeout)) {
		return stepEnd
	}
	return stepNext
}

// to moves the connection to phase ph with deadline d; false when the
// server has closed it.
func (c *h1conn) to(ph uint64, d int64) bool {
	st := c.state.Load()
	if p := phaseOf(st); p == phaseClosed || p == phaseGone {
		return false
	}
	return c.state.CompareAndSwap(st, packState(ph, d))
}

// closeIf ends the connection if it is the server's and pred holds for
// its state: both directions are shut down (rawIO.shutdown), and the
// connection's goroutine, woken by that, fails its next read or write, or
// its next phase change, and closes it as it stops.
func (c *h1conn) closeIf(pred func(st uint64) bool) {
	st := c.state.Load()
	if p := phaseOf(st); p == phaseClosed || p == phaseGone || !pred(st) {
		return
	}
	if c.state.CompareAndSwap(st, packState(phaseClosed, 0)) {
		c.io.shutdown()
	}
}

// handoff gives the connection, with the bytes already read, to the
// net/http server; false when it could not (the server is closing).
func (c *h1conn) handoff() bool {
	if !c.to(phaseGone, 0) {
		return false
	}
	c.s.handoffs.Add(1)
	return c.s.handoff.deliver(newGateConn(c.s.p, c.nc, bytes.Clone(c.buf[c.r:c.w])))
}

// refuse answers a request the own server will not serve (see
// h1screen.go) and ends the connection after it; the client gets the
// answer, and the request is counted as the client's, in no version.
func (c *h1conn) refuse(code int) step {
	c.s.p.clientErrs.add(code)
	if !c.to(phaseActive, 0) {
		return stepEnd
	}
	c.out = appendRefusal(c.out[:0], code)
	if c.flush() == nil {
		c.linger = true
	}
	return stepEnd
}

// appendRefusal appends the proxy's own answer to a refused request: the
// status, a one-line text body, and Connection: close.
func appendRefusal(b []byte, code int) []byte {
	body := refusalBody(code)
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(code)...)
	b = append(b, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// timeOutBody answers 408 on a connection whose request body did not come
// in time, and ends it; called by the sweeper, while the connection's
// goroutine waits for the body and writes nothing.
func (c *h1conn) timeOutBody(st uint64) {
	if !c.state.CompareAndSwap(st, packState(phaseClosed, 0)) {
		return
	}
	c.s.p.clientErrs.add(http.StatusRequestTimeout)
	c.io.tryWrite(appendRefusal(nil, http.StatusRequestTimeout))
	c.io.shutdown()
}

// write sends out to the client and empties it.
func (c *h1conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.io.Write(c.out)
	c.out = c.out[:0]
	return err //nolint:wrapcheck // a client write error ends the request; classified, not shown
}
