package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Proxy is the weighted reverse proxy. It is an http.Handler: serve it with
// an http.Server, whose Shutdown waits for requests in flight. The zero value
// is not usable; call New.
type Proxy struct {
	opts      Options
	log       *slog.Logger
	transport *http.Transport
	buffers   bufferPool
	split     splitter
	route     atomic.Pointer[compiledRoute]
	stats     [numVersions]*counters

	collector prometheus.Collector
	metrics   http.Handler
}

var _ http.Handler = (*Proxy)(nil)

// New returns a proxy with no route: until SetRoute is called it answers 503.
func New(opts Options) *Proxy {
	opts = opts.withDefaults()
	p := &Proxy{opts: opts, log: opts.Logger.With("component", "proxy")}
	for v := range p.stats {
		p.stats[v] = newCounters()
	}
	p.transport = newTransport(opts)
	p.collector = newCollector(p)
	p.metrics = newMetricsHandler(p.collector)
	return p
}

// newTransport keeps many keep-alive connections to the few upstreams, so
// proxying costs no TCP handshake per request. Environment proxies and HTTP/2
// are off: upstreams are local, and a proxy variable meant for the user's
// outbound traffic must not reroute the data plane.
func newTransport(o Options) *http.Transport {
	d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		MaxIdleConns:          0, // no global cap; the per-host cap bounds it
		MaxIdleConnsPerHost:   o.MaxIdleConnsPerHost,
		IdleConnTimeout:       o.IdleConnTimeout,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		TLSHandshakeTimeout:   o.DialTimeout,
		// The client's Accept-Encoding is forwarded as is; the transport must
		// not add gzip and decompress behind the client's back.
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
	}
}

// CloseIdleConnections closes idle upstream connections; call it after the
// serving http.Server has shut down.
func (p *Proxy) CloseIdleConnections() { p.transport.CloseIdleConnections() }

// InFlight returns the number of requests being served by each version now.
func (p *Proxy) InFlight() (stableN, canaryN int64) {
	return p.stats[stable].inFlight.Load(), p.stats[canary].inFlight.Load()
}

// ServeHTTP picks a version for the request, forwards it, and records the
// outcome for that version.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := p.route.Load()
	if rt == nil {
		http.Error(w, "sluice proxy: no route configured yet", http.StatusServiceUnavailable)
		return
	}
	v := rt.pick(r, &p.split)
	c := p.stats[v]
	rec := getRecorder(w)
	c.inFlight.Add(1)
	start := time.Now()
	defer func() {
		// ReverseProxy aborts with a panic when a body copy fails midway.
		// Record the request either way, then let the server see the panic.
		rv := recover()
		code := rec.code
		if rv != nil && r.Context().Err() == nil {
			// The client is still there, so the upstream broke the response.
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
	rt.upstream[v].ServeHTTP(rec, r)
}

// reverseProxy builds the forwarder for one upstream of a route. It is built
// when the route is set, so nothing per request depends on the route's URLs.
func (p *Proxy) reverseProxy(v version, target *url.URL) *httputil.ReverseProxy {
	trust := p.opts.TrustForwardedFor
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			if trust {
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			}
			pr.SetXForwarded()
		},
		Transport:     p.transport,
		FlushInterval: p.opts.FlushInterval,
		BufferPool:    &p.buffers,
		ErrorLog:      slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		ErrorHandler:  p.errorHandler(v),
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

// errorHandler answers when the upstream could not: 502 when it cannot be
// reached or broke the exchange, 504 when it was too slow. Both count as
// 5xx for the version, which is what a failing canary must look like.
func (p *Proxy) errorHandler(v version) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		code := http.StatusBadGateway
		var ne net.Error
		switch {
		case r.Context().Err() != nil:
			code = statusClientClosed
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
			code = http.StatusGatewayTimeout
		}
		if code != statusClientClosed {
			p.logUpstreamError(v, r, code, err)
		}
		if !p.opts.DisableVersionHeader {
			w.Header().Set(VersionHeader, v.String())
		}
		w.WriteHeader(code)
	}
}

// logUpstreamError logs at most one upstream failure per version per second:
// a dead canary under load must not flood the log.
func (p *Proxy) logUpstreamError(v version, r *http.Request, code int, err error) {
	c := p.stats[v]
	now := time.Now().UnixNano()
	last := c.lastErrorLog.Load()
	if now-last < int64(time.Second) || !c.lastErrorLog.CompareAndSwap(last, now) {
		return
	}
	p.log.Warn("upstream request failed", "version", v.String(), "status", code, "method", r.Method, "path", r.URL.Path, "error", err)
}
