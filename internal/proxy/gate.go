package proxy

import (
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The gate keeps a connection handed to net/http (handoff.go) under the
// screen (h1screen.go): net/http reads it through a gateConn, which lets
// through only heads that passed the screen, each with the body its
// framing delimits. A refused head never reaches net/http: the gate
// answers it itself, once net/http has finished the response before it,
// and ends the connection. Without the gate, a client whose connection
// was handed off (one large upload is enough) could send any later
// request by net/http's rules, which take what RFC 9112 says to refuse,
// such as Transfer-Encoding beside Content-Length.
//
// A body is followed to its end — a Content-Length counted, chunks read
// as net/http reads them (gatechunk.go) — so the gate knows where the next
// head begins. Screening ends with HTTP/2, and with an upgrade once
// net/http hands the connection over (recorder.Hijack): no HTTP/1.1 head
// follows either.

type gateMode uint8

const (
	gateHead    gateMode = iota // reading the next head, to screen it
	gateBody                    // delivering the body of a screened head
	gateChunked                 // delivering a chunked body, followed chunk by chunk
	gateOpaque                  // delivering everything as it comes
	gateRefused                 // a head was refused: the connection ends
	gateBroken                  // a chunked body was invalid: net/http's reads fail
)

// gateConn is a client connection as net/http's server reads it.
type gateConn struct {
	net.Conn
	p *Proxy

	carry     []byte // read from the client, not yet delivered
	deliver   []byte // a screened head, being delivered
	remaining int64  // the current body's bytes not yet delivered
	scanned   int    // bytes of carry searched for the head's end
	chunks    chunkFollower
	mode      gateMode
	refusal   int  // the status a refused head gets
	answered  bool // the refusal was written
	// idle is true while net/http's server waits for a request (its
	// ConnState is new or idle): nothing of its is being written, so the
	// gate may answer.
	idle atomic.Bool
}

func newGateConn(p *Proxy, nc net.Conn, prefix []byte) *gateConn {
	g := &gateConn{Conn: nc, p: p, carry: prefix}
	g.idle.Store(true)
	return g
}

// Read gives net/http the client's bytes, screened.
func (g *gateConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if len(g.deliver) > 0 {
			n := copy(b, g.deliver)
			g.deliver = g.deliver[n:]
			return n, nil
		}
		switch g.mode {
		case gateOpaque:
			return g.take(b)
		case gateBody:
			if g.remaining == 0 {
				g.mode = gateHead
				continue
			}
			n, err := g.take(b[:min(int64(len(b)), g.remaining)])
			g.remaining -= int64(n)
			return n, err
		case gateChunked:
			return g.readChunked(b)
		case gateRefused:
			return g.refused()
		case gateBroken:
			return 0, errBadChunk
		}
		if err := g.nextHead(); err != nil {
			return 0, err
		}
	}
}

// take delivers carried bytes first, then the connection's.
func (g *gateConn) take(b []byte) (int, error) {
	if len(g.carry) > 0 {
		n := copy(b, g.carry)
		g.carry = g.carry[n:]
		return n, nil
	}
	return g.Conn.Read(b) //nolint:wrapcheck // a transparent connection
}

// nextHead reads until the next head is complete and screens it: passed,
// it is set to be delivered; refused, the gate is closed.
func (g *gateConn) nextHead() error {
	lim := &g.p.opts.Limits
	for {
		// Empty lines before a request line are ignored (RFC 9112 2.2).
		for len(g.carry) >= 2 && g.carry[0] == '\r' && g.carry[1] == '\n' {
			g.carry, g.scanned = g.carry[2:], 0
		}
		switch n := headEnd(g.carry, &g.scanned); {
		case n > 0:
			g.scanned = 0
			if code := headLimit(g.carry[:n], lim); code != 0 {
				g.refuse(code)
				return nil
			}
			code, framing, length := screenHead(g.carry[:n], lim)
			if code != 0 {
				g.refuse(code)
				return nil
			}
			g.deliver, g.carry = g.carry[:n], g.carry[n:]
			switch framing {
			case framingLength:
				g.mode, g.remaining = gateBody, length
			case framingChunked:
				g.mode = gateChunked
			case framingOpaque:
				g.mode = gateOpaque
			}
			return nil
		case n < 0:
			g.refuse(http.StatusBadRequest)
			return nil
		}
		if code := headLimit(g.carry, lim); code != 0 {
			g.refuse(code)
			return nil
		}
		if cap(g.carry)-len(g.carry) < inBufferSize {
			grown := make([]byte, len(g.carry), 2*len(g.carry)+inBufferSize)
			copy(grown, g.carry)
			g.carry = grown
		}
		n, err := g.Conn.Read(g.carry[len(g.carry):cap(g.carry)])
		g.carry = g.carry[:len(g.carry)+n]
		if n == 0 && err != nil {
			return err //nolint:wrapcheck // a transparent connection
		}
	}
}

func (g *gateConn) refuse(code int) {
	g.p.clientErrs.add(code)
	g.mode, g.refusal, g.carry = gateRefused, code, nil
}

// refused serves net/http's reads once a head was refused. Between
// requests, the refusal is written and the connection ends (EOF). A read
// while a response is still being served is net/http's watch for the
// client going away: it must not end that response, so it waits as it
// would, discarding what the client sends, until net/http aborts it.
func (g *gateConn) refused() (int, error) {
	if g.idle.Load() {
		if !g.answered {
			g.answered = true
			_, _ = g.Write(appendRefusal(nil, g.refusal))
			linger(g.Conn)
		}
		return 0, io.EOF
	}
	var scratch [512]byte
	for {
		if _, err := g.Conn.Read(scratch[:]); err != nil {
			return 0, err //nolint:wrapcheck // a transparent connection
		}
	}
}

// CloseWrite lets net/http half-close the connection after an error
// response, so the client reads it before the connection goes.
func (g *gateConn) CloseWrite() error {
	if cw, ok := g.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite() //nolint:wrapcheck // a transparent connection
	}
	return nil
}

// gateConnState tracks, for the gate, when net/http's server waits for a
// request.
func gateConnState(c net.Conn, st http.ConnState) {
	if g, ok := c.(*gateConn); ok {
		g.idle.Store(st == http.StateNew || st == http.StateIdle)
	}
}

// hijacked ends the screening once net/http has handed the connection
// over for a protocol switch; its reads have all returned by then.
func (g *gateConn) hijacked() {
	if g.mode != gateRefused && g.mode != gateBroken {
		g.mode = gateOpaque
	}
}

// readChunked delivers the next bytes of a chunked body, and none after
// its end, which are the next head's.
func (g *gateConn) readChunked(b []byte) (int, error) {
	fromCarry := len(g.carry) > 0
	n, err := g.take(b)
	if n == 0 {
		return 0, err
	}
	k, done, cerr := g.chunks.scan(b[:n])
	switch {
	case cerr != nil:
		g.mode, g.carry = gateBroken, nil
		return k, cerr
	case done:
		g.mode = gateHead
		if fromCarry {
			g.carry = append(append([]byte(nil), b[k:n]...), g.carry...)
		} else {
			g.carry = append(g.carry, b[k:n]...)
		}
	}
	return k, nil
}

// lingerTime bounds how long a connection closed after a refusal is read
// and discarded, so the client gets the refusal rather than a reset for
// the bytes it was still sending (nginx's lingering close).
const lingerTime = 500 * time.Millisecond

// linger half-closes nc after a refusal and reads what the client still
// sends, for at most lingerTime and 64 KiB; the caller closes nc.
func linger(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, nc, 64<<10)
}
