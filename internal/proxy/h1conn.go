package proxy

import (
	"bytes"
	"errors"
	"net"
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
	s       *Server
	nc      net.Conn
	io      rawIO  // reads and writes nc
	ip      string // the client's address, for X-Forwarded-For
	bufs    *connBufs
	buf     []byte // read buffer; unread bytes are buf[r:w]
	r, w    int
	scanned int          // bytes of buf[r:w] already searched for the head's end
	out     []byte       // response bytes not yet written
	reqBuf  bytes.Buffer // the request for the upstream
	state   atomic.Uint64
	req     h1req
	resp    upResp
	watch   watch
	handed  bool    // the connection went to net/http
	big     *[]byte // a body buffer from bodyBufPool, while buf is it
	bigNext bool    // the last request needed big: read the next into one
	wire    int     // the body's length in buf, as sent (chunked: encoded)
	loop    clientLoop
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
	phaseBits   = 3
)

func phaseOf(st uint64) uint64                   { return st & (1<<phaseBits - 1) }
func deadlineOf(st uint64) int64                 { return int64(st >> phaseBits) }
func packState(ph uint64, deadline int64) uint64 { return uint64(deadline)<<phaseBits | ph }

// Read buffer sizes: a head must fit maxHeadBuffer, or net/http (whose
// limit is 1 MiB) reads it.
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
	c.state.Store(packState(phaseNew, s.now()+int64(s.readHeaderTimeout)))
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

// next reads, routes and forwards one request.
func (c *h1conn) next() step {
	p := c.s.p
	n, err := c.readHead()
	switch {
	case errors.Is(err, errWait):
		return stepWait
	case err != nil:
		return stepEnd
	}
	var rt *compiledRoute
	if n > 0 && parseRequest(string(c.buf[c.r:c.r+n]), &c.req) {
		if rt = p.route.Load(); rt != nil && !rt.pooled {
			rt = nil
		}
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
		if !c.to(phaseIdle, c.s.now()+int64(c.s.idleTimeout)) {
			return stepEnd
		}
	} else if !c.to(phaseHead, c.s.now()+int64(c.s.readHeaderTimeout)) {
		return stepEnd
	}
	return stepNext
}

// readHead returns the length of the request head at buf[r:], reading
// until it is complete. 0 means it is net/http's to read: longer than
// maxHeadBuffer, or with a line not ended by CRLF.
func (c *h1conn) readHead() (int, error) {
	c.scanned = 0
	for {
		switch n := headEnd(c.buf[c.r:c.w], &c.scanned); {
		case n > maxHeadBuffer:
			return 0, nil // found in a lent body buffer, but over the limit
		case n > 0:
			return n, nil
		case n < 0:
			return 0, nil
		}
		if c.r < c.w && !c.startHead() {
			return 0, net.ErrClosed
		}
		if c.w == len(c.buf) {
			switch {
			case c.r > 0:
				c.w = copy(c.buf, c.buf[c.r:c.w])
				c.r = 0
			case len(c.buf) < maxHeadBuffer:
				grown := make([]byte, 2*len(c.buf))
				copy(grown, c.buf[:c.w])
				c.buf = grown
			default:
				return 0, nil
			}
		}
		if c.w == 0 && c.bigNext && c.big == nil {
			// A client that sent one large body likely sends another:
			// reading it into the small buffer first would cost a read.
			c.borrowBig()
		}
		n, err := c.read(c.buf[c.w:])
		c.w += n
		if c.w == 0 {
			c.putBig() // nothing came: wait with the small buffer only
		}
		if err != nil {
			return 0, err
		}
	}
}

// readBody reads the body of the request whose head is buf[r:r+n] into
// the buffer after it, and reports whether the own server forwards it:
// false leaves it, and the bytes read, to net/http. Clients often send a
// body in its own segment after the head; reading it keeps their
// connection here. The body counts as part of the head for the timeout: it
// must come within the read-header timeout, and the connection is not idle
// while it is awaited (Shutdown waits for it).
func (c *h1conn) readBody(n int) (bool, error) {
	if !c.req.chunked {
		c.wire = c.req.bodyLen
		return true, c.readUntil(n + c.req.bodyLen)
	}
	for {
		st, _, wire := scanChunked(c.buf[c.r+n : c.w])
		switch st {
		case chunkRefused:
			return false, nil
		case chunkComplete:
			c.req.bodyLen, c.wire = decodeChunked(c.buf[c.r+n:c.r+n+wire]), wire
			return true, nil
		}
		if c.w-c.r-n >= maxChunkedWire {
			return false, nil // too much encoding for the buffer; net/http reads it
		}
		if err := c.readUntil(c.w - c.r + 1); err != nil {
			return false, err
		}
	}
}

// readUntil reads until buf[r:] holds need bytes, which bodyBufSize must
// bound, borrowing a large buffer when the connection's is too small.
func (c *h1conn) readUntil(need int) error {
	if c.w-c.r >= need {
		return nil
	}
	if !c.startHead() {
		return net.ErrClosed
	}
	if c.r+need > len(c.buf) {
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		if need > len(c.buf) {
			small := c.buf[:c.w]
			c.borrowBig()
			c.w = copy(c.buf, small)
		}
	}
	for c.w-c.r < need {
		m, err := c.read(c.buf[c.w:])
		c.w += m
		if err != nil {
			return err
		}
	}
	return nil
}

// borrowBig makes buf a body buffer from the pool; what buf held is not
// copied.
func (c *h1conn) borrowBig() {
	c.big = bodyBufPool.Get().(*[]byte)
	c.buf = *c.big
	c.s.bigLent.Add(1)
}

// returnBig gives a borrowed body buffer back; buf must not be used until
// it is set again.
func (c *h1conn) returnBig() {
	if c.big != nil {
		bodyBufPool.Put(c.big)
		c.big = nil
		c.s.bigLent.Add(-1)
	}
}

// putBig goes back from a borrowed body buffer, which holds nothing
// (r == w == 0), to the connection's own small one.
func (c *h1conn) putBig() {
	if c.big != nil {
		c.returnBig()
		c.buf = c.bufs.in
	}
}

// startHead moves an idle or new connection to phaseHead: the head must
// now arrive within the read-header timeout (for a new connection, counted
// from when it was accepted, as net/http does).
func (c *h1conn) startHead() bool {
	st := c.state.Load()
	switch phaseOf(st) {
	case phaseHead:
		return true
	case phaseNew:
		return c.state.CompareAndSwap(st, packState(phaseHead, deadlineOf(st)))
	case phaseIdle:
		return c.state.CompareAndSwap(st, packState(phaseHead, c.s.now()+int64(c.s.readHeaderTimeout)))
	}
	return false
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
	return c.s.handoff.deliver(&prefixConn{Conn: c.nc, prefix: bytes.Clone(c.buf[c.r:c.w])})
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
