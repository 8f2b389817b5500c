package proxy

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Proxy is the weighted reverse proxy. Serve it with NewServer, whose
// Shutdown waits for requests in flight; it is also an http.Handler, for
// any http.Server. The zero value is not usable; call New.
type Proxy struct {
	opts       Options
	log        *slog.Logger
	transport  *http.Transport
	buffers    bufferPool
	split      splitter
	route      atomic.Pointer[compiledRoute]
	routeMu    sync.Mutex // serialises SetRoute, so outlier resets match the route
	stats      [numVersions]*counters
	outliers   outliers
	clientErrs clientErrors // requests refused for the client's fault, in no version's Stats
	pools      pools

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
	p.outliers.threshold = int32(max(opts.OutlierConsecutiveErrors, 0))
	p.outliers.base, p.outliers.max = opts.OutlierBaseEjection, opts.OutlierMaxEjection
	p.outliers.now = opts.Now
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
func (p *Proxy) CloseIdleConnections() {
	p.transport.CloseIdleConnections()
	p.pools.closeIdle()
}

// InFlight returns the number of requests being served by each version now.
func (p *Proxy) InFlight() (stableN, canaryN int64) {
	return p.stats[stable].inFlight.Load(), p.stats[canary].inFlight.Load()
}

// ServeHTTP picks a version for the request, forwards it, and records the
// outcome for that version.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if code := p.screenRequest(r); code != 0 {
		p.refuse(w, code)
		return
	}
	rt := p.route.Load()
	if rt == nil {
		http.Error(w, "sluice proxy: no route configured yet", http.StatusServiceUnavailable)
		return
	}
	v := p.avoidEjected(rt, rt.pick((*stdRequest)(r), &p.split))
	if len(r.Header["Upgrade"]) > 0 && r.ProtoMajor == 1 && upgradeType(r.Header) != "" {
		p.serveUpgrade(w, r, rt, v)
		return
	}
	p.forward(w, r, rt, v)
}

// avoidEjected sends the request to the other version when v is ejected and
// the other can take it.
func (p *Proxy) avoidEjected(rt *compiledRoute, v version) version {
	if p.outliers.ejected(v) && p.usable(rt, 1-v) {
		return 1 - v
	}
	return v
}

// usable reports whether the route has an upstream for v and v is in
// rotation.
func (p *Proxy) usable(rt *compiledRoute, v version) bool {
	return rt.target[v] != nil && !p.outliers.ejected(v)
}

// logUpstreamError logs at most one upstream failure per version per second:
// a dead canary under load must not flood the log.
func (p *Proxy) logUpstreamError(v version, method, path string, code int, err error) {
	c := p.stats[v]
	now := time.Now().UnixNano()
	last := c.lastErrorLog.Load()
	if now-last < int64(time.Second) || !c.lastErrorLog.CompareAndSwap(last, now) {
		return
	}
	p.log.Warn("upstream request failed", "version", v.String(), "status", code, "method", method, "path", path, "error", err)
}
