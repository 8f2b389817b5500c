package proxy

import (
	"net"
	"net/http"
	"net/textproto"
	"net/url"
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
// sender declared them hop-by-hop.
func dropConnectionTokens(h http.Header, conn []string) {
	for _, f := range conn {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				delete(h, textproto.CanonicalMIMEHeaderKey(sf))
			}
		}
	}
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

// target is an upstream URL split into what each request needs, so
// building an outbound URL costs one allocation and no parsing.
type target struct {
	scheme, host    string
	path, rawPath   string
	query           string
	hasPath         bool
	user            *url.Userinfo
	versionHeader   []string
	versionHeaderOn bool
	// pool holds the fast path's connections; nil for https upstreams,
	// which always go through the transport.
	pool *connPool
}

func (p *Proxy) newTarget(u *url.URL, v version, versionHeader bool) *target {
	t := &target{
		scheme: u.Scheme, host: u.Host, path: u.Path, rawPath: u.RawPath, query: u.RawQuery,
		hasPath: u.Path != "" || u.RawPath != "", user: u.User,
		versionHeader: []string{v.String()}, versionHeaderOn: versionHeader,
	}
	if u.Scheme == "http" {
		port := u.Port()
		if port == "" {
			port = "80"
		}
		t.pool = p.pools.get(net.JoinHostPort(u.Hostname(), port), p.opts)
	}
	return t
}

// outboundURL joins the upstream's base path and query with the request's,
// as httputil's SetURL does, and cleans the query the same way.
func (t *target) outboundURL(in *url.URL) *url.URL {
	out := &url.URL{Scheme: t.scheme, Host: t.host, User: t.user, Path: in.Path, RawPath: in.RawPath, ForceQuery: in.ForceQuery}
	if t.hasPath {
		out.Path, out.RawPath = joinURLPath(t, in)
	}
	q := cleanQuery(in.RawQuery)
	switch {
	case t.query == "":
		out.RawQuery = q
	case q == "":
		out.RawQuery = t.query
	default:
		out.RawQuery = t.query + "&" + q
	}
	return out
}

func joinURLPath(t *target, b *url.URL) (path, rawpath string) {
	if t.rawPath == "" && b.RawPath == "" {
		return singleJoiningSlash(t.path, b.Path), ""
	}
	a := url.URL{Path: t.path, RawPath: t.rawPath}
	apath, bpath := a.EscapedPath(), b.EscapedPath()
	aslash, bslash := strings.HasSuffix(apath, "/"), strings.HasPrefix(bpath, "/")
	switch {
	case aslash && bslash:
		return t.path + b.Path[1:], apath + bpath[1:]
	case !aslash && !bslash:
		return t.path + "/" + b.Path, apath + "/" + bpath
	}
	return t.path + b.Path, apath + bpath
}

func singleJoiningSlash(a, b string) string {
	aslash, bslash := strings.HasSuffix(a, "/"), strings.HasPrefix(b, "/")
	switch {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash:
		return a + "/" + b
	}
	return a + b
}

// maxQueryParams bounds the query parameters forwarded as they are; more
// than this and the query is parsed and re-encoded, as by net/http.
const maxQueryParams = 10000

// cleanQuery re-encodes a query that Go's servers would parse differently
// from other servers (semicolons, bad escapes, too many parameters), so the
// proxy and the upstream cannot disagree about the parameters. Queries
// without such oddities, nearly all, are returned as they are.
func cleanQuery(s string) string {
	reencode := func(s string) string {
		v, _ := url.ParseQuery(s)
		return v.Encode()
	}
	if s == "" {
		return s
	}
	if strings.Count(s, "&")+1 > maxQueryParams {
		return reencode(s)
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencode(s)
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return reencode(s)
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
