package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// The fast path forwards the requests that make up nearly all traffic —
// bodiless GET, HEAD, OPTIONS and TRACE — over the proxy's own keep-alive
// connections (upstream.go), writing the request straight from the inbound
// one and reading the response with net/http's own parser. Everything else
// (bodies, other methods, TLS upstreams, upgrades) takes http.Transport.
//
// Such requests are safe to send twice, which is what lets the fast path
// keep no reader goroutine per idle connection: when a reused connection
// turns out to have been closed by the upstream before any response byte
// arrived, the request is simply sent again on a fresh one.

// fastEligible reports whether r may take the fast path.
func fastEligible(r *http.Request) bool {
	if r.ContentLength != 0 || (r.Body != nil && r.Body != http.NoBody) {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// max1xx bounds the informational responses relayed before the final one,
// so an upstream cannot keep a request busy forever with 103s.
const max1xx = 16

// aLongTimeAgo is a read deadline that fails pending reads at once.
var aLongTimeAgo = time.Unix(1, 0)

var errUnexpected101 = errors.New("upstream switched protocols without being asked")

// fastRoundTrip sends r to t on a pooled connection and returns the final
// response, relaying 1xx responses to w on the way. The returned connection
// must go back to the pool (or be closed) once the body has been read.
func (p *Proxy) fastRoundTrip(w http.ResponseWriter, r *http.Request, t *target) (*http.Response, *upConn, error) {
	ctx := r.Context()
	for try := 0; ; try++ {
		c, err := t.pool.get(ctx)
		if err != nil {
			return nil, nil, err
		}
		writeRequest(c.bw, r, t, p.opts.TrustForwardedFor)
		if err := c.bw.Flush(); err != nil {
			c.close()
			if c.reused && try == 0 {
				continue // the upstream closed it while it was idle
			}
			return nil, nil, fmt.Errorf("upstream %s: write: %w", t.host, err)
		}
		nc := c.nc
		c.stopWatch = context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(aLongTimeAgo) })
		if d := p.opts.ResponseHeaderTimeout; d > 0 {
			_ = nc.SetReadDeadline(time.Now().Add(d))
		}
		if _, err := c.br.Peek(1); err != nil {
			c.close()
			var ne net.Error
			timedOut := errors.As(err, &ne) && ne.Timeout()
			if c.reused && try == 0 && ctx.Err() == nil && !timedOut {
				continue // closed while idle: nothing was received, send again
			}
			return nil, nil, fmt.Errorf("upstream %s: %w", t.host, err)
		}
		res, err := readFinalResponse(c.br, r, w)
		if err == nil && p.opts.ResponseHeaderTimeout > 0 {
			err = nc.SetReadDeadline(time.Time{})
		}
		if err != nil {
			c.close()
			return nil, nil, fmt.Errorf("upstream %s: %w", t.host, err)
		}
		return res, c, nil
	}
}

// readFinalResponse reads responses until a final one, relaying 1xx
// responses (100 Continue, 103 Early Hints) to the client as they come.
func readFinalResponse(br *bufio.Reader, r *http.Request, w http.ResponseWriter) (*http.Response, error) {
	for n := 0; ; n++ {
		res, err := http.ReadResponse(br, r)
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		switch {
		case res.StatusCode == http.StatusSwitchingProtocols:
			return nil, errUnexpected101
		case res.StatusCode >= 200:
			return res, nil
		case n >= max1xx:
			return nil, errors.New("too many 1xx responses")
		}
		h := w.Header()
		for k, vv := range res.Header {
			h[k] = vv
		}
		w.WriteHeader(res.StatusCode)
		clear(h)
	}
}

// writeRequest writes r for the upstream t: request line with r's target
// as sent, joined to t's base path and query (target.go), Host t, the client's end-to-end headers, and
// X-Forwarded-For/-Host/-Proto. It writes the same header set as
// outboundHeader builds for the transport path, without building it. The
// server has already rejected header names and values that are invalid.
func writeRequest(bw *bufio.Writer, r *http.Request, t *target, trustXFF bool) {
	w := wire{bw}
	w.str(r.Method)
	w.byte(' ')
	writeTarget(w, requestTarget(r), t)
	w.str(" HTTP/1.1\r\nHost: ")
	w.str(t.host)
	w.str("\r\n")

	in := r.Header
	var dropped map[string]bool
	if conn := in["Connection"]; len(conn) > 0 {
		dropped = connectionTokens(conn)
	}
	for k, vv := range in {
		if isHopHeader(k) || isForwardedHeader(k) || dropped[k] {
			continue
		}
		if k == "User-Agent" {
			// As http.Transport: the first value only, and none if empty.
			if len(vv) > 0 && vv[0] != "" {
				w.header(k, vv[0])
			}
			continue
		}
		for _, v := range vv {
			w.header(k, v)
		}
	}
	if te := in["Te"]; len(te) > 0 && hasToken(te, "trailers") {
		w.header("Te", "trailers")
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		w.str("X-Forwarded-For: ")
		if prior := in["X-Forwarded-For"]; trustXFF && len(prior) > 0 {
			for _, v := range prior {
				w.str(v)
				w.str(", ")
			}
		}
		w.str(ip)
		w.str("\r\n")
	}
	w.header("X-Forwarded-Host", r.Host)
	if r.TLS != nil {
		w.header("X-Forwarded-Proto", "https")
	} else {
		w.header("X-Forwarded-Proto", "http")
	}
	w.str("\r\n")
}

// wire writes to a bufio.Writer whose errors are sticky (the Flush after
// the whole request reports any of them), or to a bytes.Buffer.
type wire struct{ bw wireWriter }

// wireWriter is what wire writes to.
type wireWriter interface {
	WriteString(s string) (int, error)
	WriteByte(c byte) error
}

func (w wire) str(s string) { _, _ = w.bw.WriteString(s) }
func (w wire) byte(c byte)  { _ = w.bw.WriteByte(c) }

func (w wire) header(k, v string) {
	w.str(k)
	w.str(": ")
	w.str(v)
	w.str("\r\n")
}

// requestTarget is the target r was sent with, in origin form: its
// RequestURI as received, which net/http's server keeps as sent.
func requestTarget(r *http.Request) string {
	if r.RequestURI == "" {
		return r.URL.RequestURI()
	}
	return originForm(r.RequestURI)
}

// connectionTokens returns the canonical names a Connection header lists.
func connectionTokens(conn []string) map[string]bool {
	m := make(map[string]bool, 2)
	for _, f := range conn {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				m[textproto.CanonicalMIMEHeaderKey(sf)] = true
			}
		}
	}
	return m
}
