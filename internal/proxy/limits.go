package proxy

import (
	"net/http"
	"time"
)

// Limits bound what one client may make the proxy hold or forward, each
// answered with the status nginx (or, where nginx has none, RFC 9110)
// gives. They exist because the proxy faces clients directly: without
// them a slow or malformed client holds descriptors and memory for as
// long as it likes (slowloris), and an oversized head reaches the
// upstream. The zero value of every field takes its default below; the
// proxy never runs without a header bound.
type Limits struct {
	// MaxURIBytes bounds the request target (path and query as sent);
	// longer is answered 414 URI Too Long and the connection closed.
	// Zero means DefaultMaxURIBytes; negative leaves only MaxHeaderBytes.
	MaxURIBytes int
	// MaxHeaderBytes bounds the whole request head, request line and
	// header fields; larger is answered 431 Request Header Fields Too
	// Large and the connection closed. Zero or negative means
	// DefaultMaxHeaderBytes: a head is always bounded.
	MaxHeaderBytes int
	// MaxHeaderFields bounds the number of header field lines; more is
	// answered 431. Zero means DefaultMaxHeaderFields; negative, no count
	// (MaxHeaderBytes still bounds them).
	MaxHeaderFields int
	// MaxBodyBytes bounds a request body; a larger Content-Length is
	// answered 413 Content Too Large before anything reaches the
	// upstream, and a chunked body that grows past it is cut off and
	// answered 413. Zero or negative means no limit (the default): the
	// proxy streams bodies and holds at most 16 KiB of one, so the bound
	// that matters is the upstream's, which the proxy cannot know.
	MaxBodyBytes int64
	// HeaderTimeout bounds the time a client takes to send a request head
	// (from its first byte, or from the connection's start), and, on the
	// proxy's own server, a body of up to 16 KiB with it; past it the
	// connection is closed (408 Request Timeout once the head is whole).
	// Zero means DefaultHeaderTimeout; negative, none.
	HeaderTimeout time.Duration
	// BodyTimeout bounds the wait for the next bytes of a request body, as
	// nginx's client_body_timeout; past it the request is answered 408
	// Request Timeout, the upstream exchange aborted and the connection
	// closed. Zero means DefaultBodyTimeout; negative, none.
	BodyTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its
	// next request before the proxy closes it. Zero means
	// DefaultIdleTimeout; negative, no limit.
	IdleTimeout time.Duration
}

// Default limits. Header bounds follow nginx (large_client_header_buffers
// 4 8k: a request line of 8 KiB, a head of 32 KiB) and, for the field count,
// Apache's LimitRequestFields; the body timeout is nginx's
// client_body_timeout. The header timeout is stricter than nginx's 60 s,
// as the proxy has always had; the idle timeout is longer than Go's and
// browsers' client-side idle timeouts (90 s and less), so that clients, not
// the proxy, close idle connections and never race a request into a
// connection being closed.
const (
	DefaultMaxURIBytes     = 8 << 10
	DefaultMaxHeaderBytes  = 32 << 10
	DefaultMaxHeaderFields = 100
	DefaultHeaderTimeout   = ServerReadHeaderTimeout
	DefaultBodyTimeout     = 60 * time.Second
	DefaultIdleTimeout     = ServerIdleTimeout
)

// withDefaults fills the zero fields; negative ones mean "none" and are
// kept as -1 (sizes) or 0 (timeouts).
func (l Limits) withDefaults() Limits {
	switch {
	case l.MaxURIBytes == 0:
		l.MaxURIBytes = DefaultMaxURIBytes
	case l.MaxURIBytes < 0:
		l.MaxURIBytes = -1
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	switch {
	case l.MaxHeaderFields == 0:
		l.MaxHeaderFields = DefaultMaxHeaderFields
	case l.MaxHeaderFields < 0:
		l.MaxHeaderFields = -1
	}
	if l.MaxBodyBytes < 0 {
		l.MaxBodyBytes = 0
	}
	l.HeaderTimeout = orDefault(l.HeaderTimeout, DefaultHeaderTimeout)
	l.BodyTimeout = orDefault(l.BodyTimeout, DefaultBodyTimeout)
	l.IdleTimeout = orDefault(l.IdleTimeout, DefaultIdleTimeout)
	return l
}

// uriTooLong reports whether a request target exceeds the limit.
func (l *Limits) uriTooLong(target string) bool {
	return l.MaxURIBytes >= 0 && len(target) > l.MaxURIBytes
}

// tooManyFields reports whether n header field lines exceed the limit.
func (l *Limits) tooManyFields(n int) bool {
	return l.MaxHeaderFields >= 0 && n > l.MaxHeaderFields
}

// bodyTooLarge reports whether a body of n bytes exceeds the limit.
func (l *Limits) bodyTooLarge(n int64) bool {
	return l.MaxBodyBytes > 0 && n > l.MaxBodyBytes
}

// bodyTooLargeCode is 413 for a body of n bytes over the limit, else 0.
func (l *Limits) bodyTooLargeCode(n int64) int {
	if l.bodyTooLarge(n) {
		return http.StatusRequestEntityTooLarge
	}
	return 0
}
