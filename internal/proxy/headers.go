package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// Header values shared by all requests. The transport and the server only
// read header values, so one slice can serve every request.
var (
	protoHTTP  = []string{"http"}
	protoHTTPS = []string{"https"}
	noAgent    = []string{""} // an empty User-Agent stops Go's default one
	teTrailers = []string{"trailers"}
)

// isHopHeader reports whether a canonical header name is hop-by-hop: it
// describes one connection and must not be forwarded (RFC 9110 7.6.1, and
// the older names still sent by some clients).
func isHopHeader(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// isForwardedHeader reports whether k is one of the headers the proxy
// writes itself; the client's values are dropped (or, for X-Forwarded-For
// with TrustForwardedFor, extended).
func isForwardedHeader(k string) bool {
	switch k {
	case "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto":
		return true
	}
	return false
}

// outboundHeader copies the client's header for the upstream: without
// hop-by-hop headers, those named in Connection, and the client's
// X-Forwarded-*, then with the proxy's X-Forwarded-For/-Host/-Proto. Value
// slices are shared with the inbound request, never modified.
func outboundHeader(r *http.Request, trustXFF bool) http.Header {
	in := r.Header
	out := make(http.Header, len(in)+3)
	for k, vv := range in {
		if isHopHeader(k) || isForwardedHeader(k) || k == "Expect" {
			// Expect: 100-continue is answered by the front server when the
			// body is first read; passed on, the upstream's own 100 would
			// reach the client as a second one (nginx drops it too).
			continue
		}
		out[k] = vv
	}
	if conn := in["Connection"]; len(conn) > 0 {
		dropConnectionTokens(out, conn)
	}
	if te := in["Te"]; len(te) > 0 && hasToken(te, "trailers") {
		// The one hop-by-hop value that must pass: gRPC needs it.
		out["Te"] = teTrailers
	}
	if _, ok := out["User-Agent"]; !ok {
		out["User-Agent"] = noAgent
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if prior := in["X-Forwarded-For"]; trustXFF && len(prior) > 0 {
			out["X-Forwarded-For"] = []string{strings.Join(prior, ", ") + ", " + ip}
		} else {
			out["X-Forwarded-For"] = []string{ip}
		}
	}
	out["X-Forwarded-Host"] = []string{r.Host}
	if r.TLS != nil {
		out["X-Forwarded-Proto"] = protoHTTPS
	} else {
		out["X-Forwarded-Proto"] = protoHTTP
	}
	return out
}

// dropConnectionTokens removes the headers a Connection header lists: the
// sender declared them hop-by-hop. Content-Length is never removed: it
// frames the message, and a body forwarded without it would be read by the
// next hop as the start of another message (see isFramingField).
func dropConnectionTokens(h http.Header, conn []string) {
	for _, f := range conn {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" && !isFramingField(sf) {
				delete(h, textproto.CanonicalMIMEHeaderKey(sf))
			}
		}
	}
}

// isFramingField reports whether a field, named in any case, delimits the
// message: a Connection field listing it does not make it hop-by-hop
// (RFC 9112 6: framing is the message's, and Transfer-Encoding, hop-by-hop
// anyway, is always replaced by the proxy's own framing).
func isFramingField(name string) bool {
	return len(name) == len("Content-Length") && strings.EqualFold(name, "Content-Length")
}

// removeHopHeaders strips hop-by-hop headers from an upstream's response.
func removeHopHeaders(h http.Header) {
	if conn := h["Connection"]; len(conn) > 0 {
		dropConnectionTokens(h, conn)
	}
	for _, k := range [...]string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		delete(h, k)
	}
}

// hasToken reports whether any comma-separated element of the values is
// token, ignoring case and surrounding whitespace (RFC 9110 5.6.1 lists).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for e := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(e), token) {
				return true
			}
		}
	}
	return false
}

// upgradeType returns the protocol a request asks to switch to, or "".
func upgradeType(h http.Header) string {
	if !hasToken(h["Connection"], "upgrade") {
		return ""
	}
	if v := h["Upgrade"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
