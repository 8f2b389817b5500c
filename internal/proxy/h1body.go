package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"time"
)

// flushAt is how many response bytes the proxy's own server gathers
// before writing them to the client; it writes sooner whenever the
// upstream has nothing more ready, so nothing waits for more data.
const flushAt = 32 << 10

// respond writes the upstream's response (head in c.resp, body in up) to
// the client and records it, as respond in forward.go does. It reports
// whether the client connection may serve another request.
func (c *h1conn) respond(up *upConn, rt *compiledRoute, v version, start time.Time) bool {
	p := c.s.p
	st, t, u := p.stats[v], rt.target[v], &c.resp
	switch u.code {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		p.outliers.failed(v, p.usable(rt, 1-v), u.status())
	default:
		p.outliers.succeeded(v)
	}

	c.out = c.out[:0]
	c.appendStatusLine(u.code, u.reason)
	c.appendFields(t.versionHeaderOn)
	if t.versionHeaderOn {
		c.appendField(VersionHeader, t.versionHeader[0])
	}
	chunked := c.outChunked()
	if chunked {
		c.out = append(c.out, "Transfer-Encoding: chunked\r\n"...)
	}
	// Without a length or chunks, the body ends when the connection does.
	keep := !c.req.wantClose && !c.s.shutting.Load() && (u.noBody || u.contentLength >= 0 || chunked)
	switch {
	case !keep:
		c.out = append(c.out, "Connection: close\r\n"...)
	case c.req.minor == 0:
		c.out = append(c.out, "Connection: keep-alive\r\n"...)
	}
	c.out = append(c.out, "\r\n"...)

	readErr, writeErr := c.copyBody(up, chunked)
	touched, gone := c.watch.disarm()
	if readErr != nil || writeErr != nil {
		up.close()
	}
	switch {
	case readErr != nil && !gone:
		// The upstream broke the response; the client must see it broken
		// too, not as a complete short body: close its connection.
		p.outliers.failed(v, p.usable(rt, 1-v), readErr.Error())
		p.logUpstreamError(v, c.req.method, c.req.path, http.StatusBadGateway, readErr)
		st.observe(http.StatusBadGateway, time.Since(start), true)
		st.inFlight.Add(-1)
		return false
	case readErr != nil || writeErr != nil:
		// The client went away mid-response: not the version's fault.
		st.observe(statusClientClosed, time.Since(start), true)
		st.inFlight.Add(-1)
		return false
	}
	if u.close || touched {
		up.close() // a fired watch may have set a past read deadline on it
	} else {
		t.pool.put(up)
	}
	st.observe(u.code, time.Since(start), true)
	st.inFlight.Add(-1)
	return c.flush() == nil && keep
}

// copyBody sends the head in c.out and the body to the client: as it is
// when its length is known, re-chunked when chunked is set, else as it
// comes until the upstream closes. Data is written whenever the upstream
// has nothing more buffered, so streams flow as they are produced; the
// last bytes are left in c.out, for respond to write once the request is
// counted, so a client that has its response sees it in Stats (as with
// net/http, which writes them when the handler returns).
func (c *h1conn) copyBody(up *upConn, chunked bool) (readErr, writeErr error) {
	u := &c.resp
	switch {
	case u.noBody:
		if u.res != nil {
			_ = u.res.Body.Close()
		}
		return nil, nil
	case u.res != nil:
		readErr, writeErr = c.copyDecoded(up.br, u.res.Body, chunked)
		if readErr == nil && writeErr == nil {
			writeErr = c.finishBody(chunked, u.res.Trailer)
		}
		_ = u.res.Body.Close()
		u.res = nil
		return readErr, writeErr
	case u.chunked:
		readErr, writeErr = c.copyDecoded(up.br, httputil.NewChunkedReader(up.br), chunked)
		if readErr != nil || writeErr != nil {
			return readErr, writeErr
		}
		trailer, err := textproto.NewReader(up.br).ReadMIMEHeader()
		if err != nil {
			return fmt.Errorf("trailer: %w", err), nil
		}
		return nil, c.finishBody(chunked, http.Header(trailer))
	case u.contentLength >= 0:
		return c.copyLength(up.br, u.contentLength)
	}
	readErr, writeErr = c.copyDecoded(up.br, up.br, chunked)
	if readErr == nil && writeErr == nil {
		writeErr = c.finishBody(chunked, nil)
	}
	return readErr, writeErr
}

// copyLength copies a body of n bytes, writing it with the head when it is
// already buffered, as a small body nearly always is.
func (c *h1conn) copyLength(br *bufio.Reader, n int64) (readErr, writeErr error) {
	for n > 0 {
		if br.Buffered() == 0 {
			if err := c.flush(); err != nil {
				return nil, err
			}
			if n >= int64(br.Size()) {
				// Large: read straight into the output buffer.
				if cap(c.out) < flushAt {
					c.out = make([]byte, 0, flushAt)
				}
				m, err := br.Read(c.out[:min(int64(cap(c.out)), n)])
				c.out = c.out[:m]
				n -= int64(m)
				if err != nil && n > 0 {
					return unexpectedEOF(err), nil
				}
				continue
			}
			if _, err := br.Peek(1); err != nil {
				return unexpectedEOF(err), nil
			}
		}
		b, _ := br.Peek(int(min(int64(br.Buffered()), n)))
		c.out = append(c.out, b...)
		_, _ = br.Discard(len(b))
		n -= int64(len(b))
		if len(c.out) >= flushAt {
			if err := c.flush(); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// copyDecoded copies body (read from br's connection), chunking it when
// chunked is set.
func (c *h1conn) copyDecoded(br *bufio.Reader, body io.Reader, chunked bool) (readErr, writeErr error) {
	buf := c.s.p.buffers.Get()
	defer c.s.p.buffers.Put(buf)
	for {
		if br.Buffered() == 0 {
			if err := c.flush(); err != nil {
				return nil, err
			}
		}
		n, err := body.Read(buf)
		if n > 0 {
			if chunked {
				c.out = strconv.AppendInt(c.out, int64(n), 16)
				c.out = append(c.out, "\r\n"...)
				c.out = append(c.out, buf[:n]...)
				c.out = append(c.out, "\r\n"...)
			} else {
				c.out = append(c.out, buf[:n]...)
			}
			if len(c.out) >= flushAt {
				if err := c.flush(); err != nil {
					return nil, err
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return err, nil //nolint:wrapcheck // classified by the caller, not shown
		}
	}
}

// finishBody writes what is left of a body; a chunked one ends with the
// last chunk and the trailers that have a valid name and value.
func (c *h1conn) finishBody(chunked bool, trailer http.Header) error {
	if !chunked {
		return nil
	}
	c.out = append(c.out, "0\r\n"...)
	for k, vv := range trailer {
		if !validName(k) {
			continue
		}
		for _, v := range vv {
			if validResponseValue(v) {
				c.appendField(k, v)
			}
		}
	}
	c.out = append(c.out, "\r\n"...)
	return nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
