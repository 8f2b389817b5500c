package proxy

import (
	"log/slog"
	"time"
)

// Defaults used when an Options field is zero. They favour a proxy that fronts
// a few local upstreams under real load: many idle keep-alive connections, and
// timeouts long enough for slow canaries to be measured rather than cut off.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 1024

	// DefaultOutlierConsecutiveErrors gateway failures in a row eject a
	// version: few enough that a dead upstream costs a handful of requests
	// (most of them retried), enough that one blip does not.
	DefaultOutlierConsecutiveErrors = 5
	// DefaultOutlierBaseEjection is the first ejection's length; the k-th
	// ejection of a version lasts k times as long, up to the maximum.
	DefaultOutlierBaseEjection = 30 * time.Second
	// DefaultOutlierMaxEjection caps an ejection's length.
	DefaultOutlierMaxEjection = 5 * time.Minute
)

// VersionHeader is added to every response so users and tests can see which
// version served a request.
const VersionHeader = "X-Sluice-Version"

// Options tunes a Proxy. The zero value is usable: every zero field takes the
// default above. A negative timeout means no timeout at all.
type Options struct {
	// Release names the release in metric labels, so several proxies can be
	// scraped into one Prometheus.
	Release string
	// Logger receives upstream failures (rate-limited) and proxy errors.
	// Nil means slog.Default().
	Logger *slog.Logger

	// DialTimeout bounds connecting to an upstream; a refused or unreachable
	// upstream becomes a 502 quickly instead of hanging the client.
	DialTimeout time.Duration
	// ResponseHeaderTimeout bounds waiting for an upstream's response headers;
	// exceeding it answers 504 and counts as a 5xx for that version.
	ResponseHeaderTimeout time.Duration
	// IdleConnTimeout is how long an idle keep-alive connection is kept.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost caps idle keep-alive connections per upstream; it
	// should be at least the client concurrency, or connections churn.
	MaxIdleConnsPerHost int
	// FlushInterval is how often buffered response bodies are flushed to the
	// client. Zero flushes only at the end, except for streaming responses
	// (no Content-Length, or text/event-stream), which are always flushed at
	// once.
	FlushInterval time.Duration

	// DisableVersionHeader stops adding VersionHeader to responses, for
	// users who must not reveal which version served them.
	DisableVersionHeader bool
	// TrustForwardedFor keeps the client's X-Forwarded-For and appends to it.
	// Off by default: the proxy usually faces clients directly, and a
	// client-supplied chain would be forwarded as if it were true.
	TrustForwardedFor bool

	// OutlierConsecutiveErrors is how many gateway failures in a row (the
	// upstream cannot be reached, breaks the exchange, times out, or
	// answers 502, 503 or 504) eject a version; see Health. Zero means
	// DefaultOutlierConsecutiveErrors; negative disables ejection.
	OutlierConsecutiveErrors int
	// OutlierBaseEjection is how long the first ejection of a version lasts.
	OutlierBaseEjection time.Duration
	// OutlierMaxEjection caps how long an ejection lasts.
	OutlierMaxEjection time.Duration
	// DisableRetry stops the proxy from sending a request again to the other
	// version when the chosen one failed before answering. Retried are only
	// requests that are safe to send twice: ones that never reached the
	// upstream (connection refused or timed out) and had no body consumed,
	// and bodiless GET, HEAD, OPTIONS and TRACE requests (or any with an
	// Idempotency-Key) whose connection broke before a response began.
	DisableRetry bool
	// Now is the clock of ejections; nil means time.Now. Latencies are
	// always measured with the monotonic clock.
	Now func() time.Time

	// Limits bound what a client may send and how slowly; see Limits for
	// each one's default and the status it is answered with.
	Limits Limits
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.DialTimeout = orDefault(o.DialTimeout, DefaultDialTimeout)
	o.ResponseHeaderTimeout = orDefault(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	o.IdleConnTimeout = orDefault(o.IdleConnTimeout, DefaultIdleConnTimeout)
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if o.OutlierConsecutiveErrors == 0 {
		o.OutlierConsecutiveErrors = DefaultOutlierConsecutiveErrors
	}
	if o.OutlierBaseEjection <= 0 {
		o.OutlierBaseEjection = DefaultOutlierBaseEjection
	}
	if o.OutlierMaxEjection <= 0 {
		o.OutlierMaxEjection = DefaultOutlierMaxEjection
	}
	o.OutlierMaxEjection = max(o.OutlierMaxEjection, o.OutlierBaseEjection)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Limits = o.Limits.withDefaults()
	return o
}

// orDefault maps zero to def and negative to zero, which the standard library
// reads as "no limit".
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
