package proxy

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Forwarding a request parsed by the proxy's own server: the same steps as
// forward and respond in forward.go — retry on the other version, outlier
// detection, per-version counting — with the pooled upstream connections
// of the fast path, and the response head and body copied as bytes.

// forward sends the request to version v, retrying once on the other
// version when that is safe, and writes the response. It reports whether
// the connection may serve another request.
func (c *h1conn) forward(rt *compiledRoute, v version) bool {
	p := c.s.p
	for attempt := 0; ; attempt++ {
		t, st := rt.target[v], p.stats[v]
		st.inFlight.Add(1)
		start := time.Now()
		up, err := c.roundTrip(t, start)
		if err == nil {
			return c.respond(up, rt, v, start)
		}
		_, gone := c.watch.disarm()
		code := errorCodeFor(gone, err)
		if code != statusClientClosed {
			p.outliers.failed(v, p.usable(rt, 1-v), err.Error())
			p.logUpstreamError(v, c.req.method, c.req.path, code, err)
		}
		if attempt == 0 && code != statusClientClosed && p.retryableErr(c.req.replayable, err) && p.usable(rt, 1-v) {
			st.observe(http.StatusBadGateway, time.Since(start), true)
			st.inFlight.Add(-1)
			p.outliers.v[v].retries.Add(1)
			v = 1 - v
			continue
		}
		c.appendStatus(code, t)
		st.observe(code, time.Since(start), true)
		st.inFlight.Add(-1)
		return code != statusClientClosed && c.flush() == nil
	}
}

// roundTrip writes the request to t on a pooled connection and reads the
// final response head into c.resp, relaying 1xx responses. The pool never
// lends a connection the upstream closed or wrote to while it was idle
// (connPool.get), so a request that is not replayable is sent once; a
// replayable one whose reused connection was closed in the moment after
// is sent again once, as in fastRoundTrip.
func (c *h1conn) roundTrip(t *target, start time.Time) (*upConn, error) {
	for try := 0; ; try++ {
		up, err := t.pool.get(context.Background())
		if err != nil {
			return nil, err //nolint:wrapcheck // the pool wraps it
		}
		c.reqBuf.Reset()
		writeH1Request(&c.reqBuf, &c.req, t, c.ip, c.s.p.opts.TrustForwardedFor)
		c.reqBuf.Write(c.buf[c.r : c.r+c.req.bodyLen])
		c.watch.arm(up.nc, start, c.s.p.opts.ResponseHeaderTimeout)
		waitErr, err := sendAndWait(up, c.reqBuf.Bytes())
		if err != nil {
			up.close()
			if up.reused && try == 0 && c.req.replayable {
				continue
			}
			return nil, fmt.Errorf("upstream %s: write: %w", t.host, err)
		}
		if waitErr == nil {
			_, waitErr = up.br.Peek(1)
		}
		if err := waitErr; err != nil {
			up.close()
			if touched, _ := c.watch.disarm(); up.reused && try == 0 && c.req.replayable && !touched && !isTimeout(err) {
				continue // closed while idle: nothing was received, send again
			}
			return nil, fmt.Errorf("upstream %s: %w", t.host, err)
		}
		if err := c.readFinalHead(up); err != nil {
			up.close()
			return nil, fmt.Errorf("upstream %s: %w", t.host, err)
		}
		c.watch.headDone()
		return up, nil
	}
}

// readFinalHead reads response heads until a final one, relaying 1xx
// responses to HTTP/1.1 clients as they come.
func (c *h1conn) readFinalHead(up *upConn) error {
	for n := 0; ; n++ {
		if err := readUpstreamHead(up.br, c.req.method, &c.resp); err != nil {
			return err
		}
		switch code := c.resp.code; {
		case code == http.StatusSwitchingProtocols:
			return errUnexpected101
		case code >= 200:
			return nil
		case n >= max1xx:
			return fmt.Errorf("more than %d 1xx responses", max1xx)
		}
		if c.req.minor == 1 {
			c.appendStatusLine(c.resp.code, c.resp.reason)
			c.appendFields(false)
			c.out = append(c.out, "\r\n"...)
			_ = c.flush() // a client that is gone fails the final write
		}
	}
}

// appendStatus makes the proxy's own answer, with no body, ready to write.
func (c *h1conn) appendStatus(code int, t *target) {
	c.out = c.out[:0]
	c.appendStatusLine(code, http.StatusText(code))
	if t.versionHeaderOn {
		c.appendField(VersionHeader, t.versionHeader[0])
	}
	c.out = append(c.out, "Content-Length: 0\r\n"...)
	if c.req.wantClose || c.s.shutting.Load() {
		c.out = append(c.out, "Connection: close\r\n"...)
	} else if c.req.minor == 0 {
		c.out = append(c.out, "Connection: keep-alive\r\n"...)
	}
	c.out = append(c.out, "\r\n"...)
}

func (c *h1conn) appendStatusLine(code int, reason string) {
	c.out = append(c.out, "HTTP/1.1 "...)
	c.out = strconv.AppendInt(c.out, int64(code), 10)
	c.out = append(c.out, ' ')
	c.out = append(c.out, reason...)
	c.out = append(c.out, "\r\n"...)
}

func (c *h1conn) appendField(name, value string) {
	c.out = append(c.out, name...)
	c.out = append(c.out, ": "...)
	c.out = append(c.out, value...)
	c.out = append(c.out, "\r\n"...)
}

// appendFields appends the response's end-to-end fields: not hop-by-hop,
// not listed in its Connection field, and not VersionHeader when the proxy
// sets it. Trailer passes when the body goes out chunked.
func (c *h1conn) appendFields(skipVersion bool) {
	u := &c.resp
	for _, f := range u.fields {
		if isHopField(f.name) {
			if !c.outChunked() || !strings.EqualFold(f.name, "Trailer") {
				continue
			}
		}
		if (u.hasConn && !isFramingField(f.name) && listedIn(u.fields, f.name)) || (skipVersion && strings.EqualFold(f.name, VersionHeader)) {
			continue
		}
		c.appendField(f.name, f.value)
	}
}

// outChunked reports whether the response body goes to the client
// chunked: it has one of unknown length, and the client speaks HTTP/1.1.
func (c *h1conn) outChunked() bool {
	return !c.resp.noBody && c.resp.contentLength < 0 && c.req.minor == 1
}

var hopNames = [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// isHopField is isHopHeader for a name in any case.
func isHopField(k string) bool {
	for _, h := range hopNames {
		if len(h) == len(k) && strings.EqualFold(h, k) {
			return true
		}
	}
	return false
}

var forwardedNames = [...]string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

// isForwardedField is isForwardedHeader for a name in any case.
func isForwardedField(k string) bool {
	for _, h := range forwardedNames {
		if len(h) == len(k) && strings.EqualFold(h, k) {
			return true
		}
	}
	return false
}

// listedIn reports whether a Connection field among fields lists name.
func listedIn(fields []hfield, name string) bool {
	for _, f := range fields {
		if len(f.name) != len("Connection") || !strings.EqualFold(f.name, "Connection") {
			continue
		}
		for tok := range strings.SplitSeq(f.value, ",") {
			if strings.EqualFold(trimOWS(tok), name) {
				return true
			}
		}
	}
	return false
}

// writeH1Request writes r for the upstream t, as writeRequest does for a
// net/http request: the same request line, Host, end-to-end fields (in the
// client's order and case) and X-Forwarded-For/-Host/-Proto.
func writeH1Request(bw wireWriter, r *h1req, t *target, ip string, trustXFF bool) {
	w := wire{bw}
	w.str(r.method)
	w.byte(' ')
	writeTarget(w, r.target, t)
	w.str(" HTTP/1.1\r\nHost: ")
	w.str(t.host)
	w.str("\r\n")
	agent, trailers := false, false
	for _, f := range r.fields {
		switch {
		case isHopField(f.name):
			if len(f.name) == 2 && !trailers {
				trailers = hasTokenIn(f.value, "trailers")
			}
			continue
		case isForwardedField(f.name), strings.EqualFold(f.name, "Host"):
			continue
		case r.hasConn && !isFramingField(f.name) && listedIn(r.fields, f.name):
			// Listed in Connection: hop-by-hop. Never Content-Length, which
			// frames the body written after this head.
			continue
		case len(f.name) == len("User-Agent") && strings.EqualFold(f.name, "User-Agent"):
			// As http.Transport: the first value only, and none if empty.
			if agent {
				continue
			}
			agent = true
			if f.value == "" {
				continue
			}
		}
		w.header(f.name, f.value)
	}
	if trailers {
		w.header("Te", "trailers")
	}
	if ip != "" {
		w.str("X-Forwarded-For: ")
		if trustXFF {
			for _, f := range r.fields {
				if len(f.name) == len("X-Forwarded-For") && strings.EqualFold(f.name, "X-Forwarded-For") {
					w.str(f.value)
					w.str(", ")
				}
			}
		}
		w.str(ip)
		w.str("\r\n")
	}
	w.header("X-Forwarded-Host", r.host)
	w.header("X-Forwarded-Proto", "http")
	if r.chunked { // read whole and decoded: sent with its length
		w.header("Content-Length", strconv.Itoa(r.bodyLen))
	}
	w.str("\r\n")
}

// hasTokenIn is hasToken for one value.
func hasTokenIn(value, token string) bool {
	for tok := range strings.SplitSeq(value, ",") {
		if strings.EqualFold(trimOWS(tok), token) {
			return true
		}
	}
	return false
}
