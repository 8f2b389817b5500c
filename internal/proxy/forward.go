package proxy

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// The forwarder: one http.Transport round trip per attempt, with the
// outbound request built directly from the inbound one (no deep clone, no
// per-request closures) and the response streamed back through a pooled
// buffer. It does what httputil.ReverseProxy does for plain requests —
// hop-by-hop headers, X-Forwarded-*, 1xx responses, trailers, streaming,
// request bodies — at a fraction of its allocations; upgrades still go
// through ReverseProxy (upgrade.go).

// exchange is the per-request state the transport's trace callback needs.
// Exchanges are pooled; one is recycled only when its round trip succeeded,
// as only then can no late 1xx callback still reach it.
type exchange struct {
	w     http.ResponseWriter
	mu    sync.Mutex // orders a late 1xx callback against the round trip's end
	done  bool
	trace httptrace.ClientTrace
}

var exchanges = sync.Pool{New: func() any {
	ex := new(exchange)
	ex.trace.Got1xxResponse = ex.got1xx
	return ex
}}

// got1xx relays an informational response (103 Early Hints) to the
// client as it arrives, unless the round trip is already over. A 100
// Continue is not relayed: the client's was sent by the front server when
// the body was first read, and the upstream was not asked for one.
func (ex *exchange) got1xx(code int, header textproto.MIMEHeader) error {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.done || code == http.StatusContinue {
		return nil
	}
	h := ex.w.Header()
	for k, vv := range header {
		h[k] = vv
	}
	ex.w.WriteHeader(code)
	clear(h)
	return nil
}

func (ex *exchange) end() {
	ex.mu.Lock()
	ex.done = true
	ex.mu.Unlock()
}

// forward sends r to version v, retrying once on the other version when
// that is safe, and writes the response.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, rt *compiledRoute, v version) {
	fast := fastEligible(r)
	var (
		ex   *exchange
		out  *http.Request
		body *guardBody
	)
	for attempt := 0; ; attempt++ {
		t := rt.target[v]
		c := p.stats[v]
		c.inFlight.Add(1)
		start := time.Now()
		var (
			res *http.Response
			up  *upConn
			err error
		)
		if fast && t.pool != nil {
			res, up, err = p.fastRoundTrip(w, r, t) //nolint:bodyclose // respond closes it or pools its connection
		} else {
			if out == nil {
				ex, out, body = p.outbound(w, r)
				if body != nil && r.ContentLength < 0 && r.ProtoMajor == 1 {
					if err := body.prebuffer(); err != nil {
						c.inFlight.Add(-1)
						ex.end()
						p.refuse(w, bodyErrorCode(err))
						return
					}
					if body.complete { // checked whole: sent with its length
						out.ContentLength, out.TransferEncoding = int64(len(body.pre)), nil
					}
				}
			}
			if out.URL, err = t.outboundURL(requestTarget(r)); err != nil {
				c.inFlight.Add(-1)
				ex.end()
				p.refuse(w, http.StatusBadRequest)
				return
			}
			res, err = p.transport.RoundTrip(out) //nolint:bodyclose // respond closes it
			if err == nil {
				ex.end()
				ex.w = nil
				exchanges.Put(ex)
			}
		}
		if err == nil {
			p.respond(w, r, res, up, body, rt, v, start)
			return
		}
		if berr := body.clientErr(); berr != nil {
			// The client broke its body (or was too slow with it, or sent
			// too much): the transport gave up on the upstream for the
			// client's sake. Not the version's failure, and not counted.
			c.inFlight.Add(-1)
			ex.end()
			p.refuse(w, bodyErrorCode(berr))
			return
		}
		code := p.errorCode(r, err)
		if code != statusClientClosed {
			p.outliers.failed(v, p.usable(rt, 1-v), err.Error())
			p.logUpstreamError(v, r.Method, r.URL.Path, code, err)
		}
		if attempt == 0 && code != statusClientClosed && p.retryable(r, body, err) && p.usable(rt, 1-v) {
			c.observe(http.StatusBadGateway, time.Since(start), true)
			c.inFlight.Add(-1)
			p.outliers.v[v].retries.Add(1)
			v = 1 - v
			continue
		}
		if ex != nil {
			ex.end() // not recycled: the transport may still hold its trace
		}
		if t.versionHeaderOn {
			w.Header()[VersionHeader] = t.versionHeader
		}
		w.WriteHeader(code)
		c.observe(code, time.Since(start), true)
		c.inFlight.Add(-1)
		return
	}
}

// outbound builds the transport's request from r: the same context plus a
// trace that relays 1xx responses, the outbound header, and a body the
// transport cannot close.
func (p *Proxy) outbound(w http.ResponseWriter, r *http.Request) (*exchange, *http.Request, *guardBody) {
	ex := exchanges.Get().(*exchange)
	ex.w, ex.done = w, false
	out := r.WithContext(httptrace.WithClientTrace(r.Context(), &ex.trace))
	out.Header = outboundHeader(r, p.opts.TrustForwardedFor)
	out.Host, out.RequestURI, out.Close = "", "", false
	var body *guardBody
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		out.Body = nil // lets the transport retry on a stale connection
	} else {
		body = newGuardBody(w, r, &p.opts.Limits)
		out.Body = body
	}
	return ex, out, body
}

// retryable reports whether a failed attempt may be sent again: it never
// reached the upstream and none of its body was read, or it is a bodiless
// idempotent request whose connection broke before any response.
func (p *Proxy) retryable(r *http.Request, body *guardBody, err error) bool {
	if body != nil && body.read.Load() {
		return false
	}
	bodiless := r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody
	return p.retryableErr(bodiless && idempotent(r), err)
}

// retryableErr reports whether an attempt that failed with err may be sent
// again: it never reached the upstream, or it is safe to send twice
// (resendable: bodiless and idempotent) and did not time out.
func (p *Proxy) retryableErr(resendable bool, err error) bool {
	if p.opts.DisableRetry {
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false // a slow upstream got the request; do not double its load
	}
	return resendable
}

func idempotent(r *http.Request) bool {
	return replayable(r.Method, func(name string) bool { _, ok := r.Header[name]; return ok })
}

// replayable is the rule, shared by both servers, for a request that may
// be sent twice: a bodiless method, or one carrying an Idempotency-Key, as
// http.Transport has it. has reports whether a header field (canonical
// name) is present.
func replayable(method string, has func(name string) bool) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return has("Idempotency-Key") || has("X-Idempotency-Key")
}

// respond writes the upstream's response to the client and records it. up
// is the fast path's connection, nil for the transport's: it goes back to
// its pool when the body was read to its end and the upstream keeps it
// open, and is closed otherwise.
func (p *Proxy) respond(w http.ResponseWriter, r *http.Request, res *http.Response, up *upConn, body *guardBody, rt *compiledRoute, v version, start time.Time) {
	c, t := p.stats[v], rt.target[v]
	code := res.StatusCode
	switch code {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		p.outliers.failed(v, p.usable(rt, 1-v), res.Status)
	default:
		p.outliers.succeeded(v)
	}

	removeHopHeaders(res.Header)
	h := w.Header()
	for k, vv := range res.Header {
		h[k] = vv
	}
	if t.versionHeaderOn {
		h[VersionHeader] = t.versionHeader
	}
	announced := len(res.Trailer)
	if announced > 0 {
		keys := make([]string, 0, announced)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		h["Trailer"] = []string{strings.Join(keys, ", ")}
	}
	w.WriteHeader(code)

	readErr, writeErr := p.copyBody(w, res)
	if readErr != nil || writeErr != nil {
		if up != nil {
			up.close()
		} else {
			_ = res.Body.Close()
		}
	}
	switch {
	case readErr != nil && body.clientErr() != nil:
		// The client broke its body while the response came: the
		// transport gave up on the upstream for the client's sake.
		p.clientErrs.add(bodyErrorCode(body.clientErr()))
		c.inFlight.Add(-1)
		panic(http.ErrAbortHandler)
	case readErr != nil && r.Context().Err() == nil:
		// The upstream broke the response; the client must see it broken
		// too, not as a complete short body. Abort the connection.
		p.outliers.failed(v, p.usable(rt, 1-v), readErr.Error())
		p.logUpstreamError(v, r.Method, r.URL.Path, http.StatusBadGateway, readErr)
		c.observe(http.StatusBadGateway, time.Since(start), true)
		c.inFlight.Add(-1)
		panic(http.ErrAbortHandler)
	case readErr != nil || writeErr != nil:
		// The client went away mid-response: not the version's fault.
		c.observe(statusClientClosed, time.Since(start), true)
		c.inFlight.Add(-1)
		return
	}
	_ = res.Body.Close() // now, to populate res.Trailer
	if up != nil {
		// A watch that already fired has set a past read deadline on the
		// connection: it must not be reused.
		watchStopped := up.stopWatch()
		up.stopWatch = nil
		if res.Close || !watchStopped {
			up.close()
		} else {
			t.pool.put(up)
		}
	}
	if len(res.Trailer) > 0 {
		_ = http.NewResponseController(w).Flush()
		if len(res.Trailer) == announced {
			for k, vv := range res.Trailer {
				h[k] = vv
			}
		} else {
			for k, vv := range res.Trailer {
				h[http.TrailerPrefix+k] = vv
			}
		}
	}
	c.observe(code, time.Since(start), true)
	c.inFlight.Add(-1)
}
