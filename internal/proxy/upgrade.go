package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// serveUpgrade passes a protocol switch (WebSocket) through with httputil's
// ReverseProxy, which knows how to splice the two connections. Upgrades are
// rare and long, so its per-request cost does not matter here.
func (p *Proxy) serveUpgrade(w http.ResponseWriter, r *http.Request, rt *compiledRoute, v version) {
	c := p.stats[v]
	rec := getRecorder(w)
	c.inFlight.Add(1)
	start := time.Now()
	defer func() {
		// ReverseProxy aborts with a panic when a copy fails midway.
		// Record the request either way, then let the server see the panic.
		rv := recover()
		code := rec.code
		if rv != nil && r.Context().Err() == nil {
			// The client is still there, so the upstream broke the exchange.
			code = http.StatusBadGateway
		} else if code == 0 {
			code = http.StatusOK
		}
		c.observe(code, time.Since(start), !rec.hijacked)
		c.inFlight.Add(-1)
		putRecorder(rec)
		if rv != nil {
			panic(rv)
		}
	}()
	rt.upgrade[v].ServeHTTP(rec, r)
}

// reverseProxy builds the upgrade forwarder for one upstream of a route. It
// is built when the route is set, so nothing per request depends on the
// route's URLs.
func (p *Proxy) reverseProxy(v version, target *url.URL, t *target) *httputil.ReverseProxy {
	trust := p.opts.TrustForwardedFor
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The target as sent (target.go), not ReverseProxy's
			// re-encoded one; what cannot be written so goes as SetURL
			// made it.
			if u, err := t.outboundURL(requestTarget(pr.In)); err == nil {
				pr.Out.URL = u
			}
			if trust {
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			}
			pr.SetXForwarded()
		},
		Transport:     p.transport,
		FlushInterval: p.opts.FlushInterval,
		BufferPool:    &p.buffers,
		ErrorLog:      slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			code := p.errorCode(r, err)
			if code != statusClientClosed {
				p.logUpstreamError(v, r.Method, r.URL.Path, code, err)
			}
			if !p.opts.DisableVersionHeader {
				w.Header().Set(VersionHeader, v.String())
			}
			w.WriteHeader(code)
		},
	}
	if !p.opts.DisableVersionHeader {
		value := []string{v.String()}
		rp.ModifyResponse = func(res *http.Response) error {
			res.Header[VersionHeader] = value[:1:1]
			return nil
		}
	}
	return rp
}

// statusClientClosed is recorded when the client went away before the
// upstream answered (nginx's convention). It is a 4xx: the version did
// nothing wrong.
const statusClientClosed = 499

// errorCode is the status the proxy answers with when the upstream could
// not: 502 when it cannot be reached or broke the exchange, 504 when it was
// too slow. Both count as 5xx for the version, which is what a failing
// canary must look like.
func (p *Proxy) errorCode(r *http.Request, err error) int {
	return errorCodeFor(r.Context().Err() != nil, err)
}

// errorCodeFor is errorCode for a client that is gone or not.
func errorCodeFor(clientGone bool, err error) int {
	var ne net.Error
	switch {
	case clientGone:
		return statusClientClosed
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}
