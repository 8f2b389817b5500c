package proxy

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// The request target goes upstream byte for byte as the client sent it —
// its path and query with ';', '%' escapes valid or not, encoded slashes,
// even '#' — joined only with the upstream URL's own path and query. A
// proxy that decodes and re-encodes a target, or drops the parameters it
// would parse differently, hands the upstream a request the client never
// sent. Every path of the proxy writes its target with writeTarget
// (FuzzTargetForwarded checks what the upstream receives).

// target is an upstream URL split into what each request needs, so
// writing a request costs no parsing.
type target struct {
	scheme, host    string
	basePath        string // the URL's path, escaped as written
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
		scheme: u.Scheme, host: u.Host, basePath: u.EscapedPath(), query: u.RawQuery,
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

// originForm is the part of a request target, as received, that goes
// upstream: the target itself, or an absolute-form target's path and
// query (the authority is the upstream's, in Host).
func originForm(requestURI string) string {
	if requestURI == "" || requestURI[0] == '/' || requestURI == "*" {
		return requestURI
	}
	if _, rest, ok := strings.Cut(requestURI, "://"); ok {
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			if rest[i] == '?' {
				return "/" + rest[i:]
			}
			return rest[i:]
		}
		return "/"
	}
	return requestURI
}

// writeTarget writes the origin-form target raw, as sent, for the upstream
// t: after t's base path, with t's query before the client's.
func writeTarget(w wire, raw string, t *target) {
	path, query := splitTarget(raw, t)
	w.str(path)
	if query != "" || strings.IndexByte(raw, '?') >= 0 {
		w.byte('?')
		w.str(query)
	}
}

// splitTarget joins raw with t and splits the result into the path and
// the query (without its '?').
func splitTarget(raw string, t *target) (path, query string) {
	path, query, hasQuery := strings.Cut(raw, "?")
	switch {
	case !t.hasPath:
	case path == "*":
		path = t.basePath
	default:
		path = singleJoiningSlash(t.basePath, path)
	}
	if path == "" {
		path = "/"
	}
	switch {
	case t.query == "":
	case hasQuery && query != "":
		query = t.query + "&" + query
	default:
		query = t.query
	}
	return path, query
}

// errTargetNotWritable is a target the transport cannot write as sent.
var errTargetNotWritable = errors.New("the request target cannot be forwarded as sent")

// outboundURL is the URL the transport writes for a request whose target
// was raw: its request-URI is raw joined with t, byte for byte. The
// transport writes an Opaque URL as it is, except one beginning with "//",
// which it would take for an authority; such a path is given as Path and
// RawPath when they give it back exactly, and is refused otherwise.
func (t *target) outboundURL(raw string) (*url.URL, error) {
	path, query := splitTarget(raw, t)
	u := &url.URL{Scheme: t.scheme, Host: t.host, User: t.user, RawQuery: query,
		ForceQuery: query == "" && strings.IndexByte(raw, '?') >= 0}
	if !strings.HasPrefix(path, "//") {
		u.Opaque = path
		return u, nil
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return nil, errTargetNotWritable
	}
	u.Path, u.RawPath = dec, path
	if u.EscapedPath() != path {
		return nil, errTargetNotWritable
	}
	return u, nil
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
