package proxy

import (
	"errors"
	"net"
	"net/http"
)

// Reading a request on the own server: its head, screened as it comes
// (h1screen.go), and a small body, read whole before it is forwarded.

// errRefused ends a read that found the request must be refused with
// c.refusal.
var errRefused = errors.New("request refused")

// readHead returns the length of the request head at buf[r:], reading
// until it is complete. A head refused while it is read — over a limit, or
// with a line not ended by CRLF — returns errRefused.
func (c *h1conn) readHead() (int, error) {
	c.scanned = 0
	lim := &c.s.p.opts.Limits
	for {
		if c.w-c.r >= 2 && c.buf[c.r] == '\r' && c.buf[c.r+1] == '\n' {
			// Empty lines before a request line are ignored (RFC 9112
			// 2.2), but count as the start of a head for its timeout.
			if !c.startHead() {
				return 0, net.ErrClosed
			}
			for c.w-c.r >= 2 && c.buf[c.r] == '\r' && c.buf[c.r+1] == '\n' {
				c.r += 2
				c.scanned = 0
			}
		}
		switch n := headEnd(c.buf[c.r:c.w], &c.scanned); {
		case n > 0:
			return n, c.refuseIf(headLimit(c.buf[c.r:c.r+n], lim))
		case n < 0:
			return 0, c.refuseIf(http.StatusBadRequest)
		}
		if err := c.refuseIf(headLimit(c.buf[c.r:c.w], lim)); err != nil {
			return 0, err
		}
		if c.r < c.w && !c.startHead() {
			return 0, net.ErrClosed
		}
		if c.w == len(c.buf) {
			if c.r > 0 {
				c.w = copy(c.buf, c.buf[c.r:c.w])
				c.r = 0
			} else {
				// headLimit bounds the growth: a head over the limit is
				// refused before the buffer doubles again.
				grown := make([]byte, 2*len(c.buf))
				copy(grown, c.buf[:c.w])
				c.returnBig()
				c.buf = grown
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

// refuseIf sets the refusal and returns errRefused for a non-zero code.
func (c *h1conn) refuseIf(code int) error {
	if code == 0 {
		return nil
	}
	c.refusal = code
	return errRefused
}

// readBody reads the body of the request whose head is buf[r:r+n] into
// the buffer after it, and reports whether the own server forwards it:
// false leaves it, and the bytes read, to net/http. Clients often send a
// body in its own segment after the head; reading it keeps their
// connection here. An invalid chunked body is refused (errRefused, 400)
// before anything is sent upstream, as nginx does. The body must come
// within the head's timeout (and BodyTimeout), and the connection is not
// idle while it is awaited (Shutdown waits for it).
func (c *h1conn) readBody(n int) (bool, error) {
	if !c.req.chunked {
		c.wire = c.req.bodyLen
		return true, c.readUntil(n + c.req.bodyLen)
	}
	for {
		st, _, wire := scanChunked(c.buf[c.r+n : c.w])
		switch st {
		case chunkInvalid:
			return false, c.refuseIf(http.StatusBadRequest)
		case chunkRefused:
			return false, nil
		case chunkComplete:
			c.req.bodyLen, c.wire = decodeChunked(c.buf[c.r+n:c.r+n+wire]), wire
			return true, c.refuseIf(c.s.p.opts.Limits.bodyTooLargeCode(int64(c.req.bodyLen)))
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
	if !c.startBody() {
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
	case phaseHead, phaseBody:
		return true
	case phaseNew:
		return c.state.CompareAndSwap(st, packState(phaseHead, deadlineOf(st)))
	case phaseIdle:
		return c.state.CompareAndSwap(st, packState(phaseHead, c.s.deadline(c.s.readHeaderTimeout)))
	}
	return false
}

// startBody moves the connection to phaseBody, awaiting the rest of a
// body: it keeps the head's deadline, or BodyTimeout from now if that is
// sooner, and a timeout there is answered 408.
func (c *h1conn) startBody() bool {
	if !c.startHead() {
		return false
	}
	st := c.state.Load()
	if phaseOf(st) == phaseBody {
		return true
	}
	d := deadlineOf(st)
	if c.s.bodyTimeout > 0 {
		d = min(d, c.s.deadline(c.s.bodyTimeout))
	}
	return c.state.CompareAndSwap(st, packState(phaseBody, d))
}
