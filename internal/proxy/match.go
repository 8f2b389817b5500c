package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"sort"
	"strings"
)

// MatchRule sends a request to the canary when every condition in it
// holds: each named header (and each named cookie) has a value that
// matches. It is the proxy's own type, so the data plane depends on no
// API package; the local shell converts the Release's rules.
type MatchRule struct {
	Headers map[string]StringMatch
	Cookies map[string]StringMatch
}

// StringMatch is how a value must look; exactly one member is set.
// Regex is RE2, matched against the whole value.
type StringMatch struct {
	Exact, Prefix, Regex string
}

// rule is a compiled MatchRule: header names canonicalised and
// regular expressions compiled once, when the route is set, so matching a
// request allocates nothing.
type rule struct {
	headers []condition
	cookies []condition
}

// condition is one header or cookie that must be present with a value that
// the matcher accepts.
type condition struct {
	name string
	m    matcher
}

type matchKind uint8

const (
	matchExact matchKind = iota + 1
	matchPrefix
	matchRegex
)

// matcher is a compiled StringMatch.
type matcher struct {
	kind  matchKind
	value string
	re    *regexp.Regexp
}

func (m *matcher) match(s string) bool {
	switch m.kind {
	case matchExact:
		return s == m.value
	case matchPrefix:
		return strings.HasPrefix(s, m.value)
	case matchRegex:
		return m.re.MatchString(s)
	}
	return false
}

func compileRules(in []MatchRule) ([]rule, error) {
	out := make([]rule, 0, len(in))
	for i, r := range in {
		cr, err := compileRule(r)
		if err != nil {
			return nil, fmt.Errorf("match[%d]: %w", i, err)
		}
		out = append(out, cr)
	}
	return out, nil
}

func compileRule(r MatchRule) (rule, error) {
	if len(r.Headers) == 0 && len(r.Cookies) == 0 {
		// A rule without conditions would match every request and silently
		// send all traffic to the canary.
		return rule{}, errors.New("rule has no header or cookie condition")
	}
	var cr rule
	// Sorted so that errors and matching order do not depend on map order.
	for _, name := range sortedKeys(r.Headers) {
		if !validToken(name) {
			return rule{}, fmt.Errorf("headers: invalid header name %q", name)
		}
		m, err := compileMatcher(r.Headers[name])
		if err != nil {
			return rule{}, fmt.Errorf("headers[%s]: %w", name, err)
		}
		cr.headers = append(cr.headers, condition{name: http.CanonicalHeaderKey(name), m: m})
	}
	for _, name := range sortedKeys(r.Cookies) {
		if !validToken(name) {
			return rule{}, fmt.Errorf("cookies: invalid cookie name %q", name)
		}
		m, err := compileMatcher(r.Cookies[name])
		if err != nil {
			return rule{}, fmt.Errorf("cookies[%s]: %w", name, err)
		}
		cr.cookies = append(cr.cookies, condition{name: name, m: m})
	}
	return cr, nil
}

func compileMatcher(s StringMatch) (matcher, error) {
	set := 0
	var m matcher
	if s.Exact != "" {
		set++
		m = matcher{kind: matchExact, value: s.Exact}
	}
	if s.Prefix != "" {
		set++
		m = matcher{kind: matchPrefix, value: s.Prefix}
	}
	if s.Regex != "" {
		set++
		// The API promises a whole-value match; anchor it so "v2" does not
		// also match "v20-beta".
		re, err := regexp.Compile(`^(?:` + s.Regex + `)$`)
		if err != nil {
			return matcher{}, fmt.Errorf("regex %q: %w", s.Regex, err)
		}
		m = matcher{kind: matchRegex, value: s.Regex, re: re}
	}
	if set != 1 {
		return matcher{}, fmt.Errorf("exactly one of exact, prefix, regex must be set, got %d", set)
	}
	return m, nil
}

// requestView is what routing reads of a request, so that requests parsed
// by net/http and by the proxy's own HTTP/1.1 server (h1parse.go) are routed
// by the same code.
type requestView interface {
	// requestHost is the request's Host: the Host header or the authority
	// of an absolute target.
	requestHost() string
	// headerValue returns the i-th value (from 0) of the header with that
	// canonical name, and false when there are not that many.
	headerValue(name string, i int) (string, bool)
}

// stdRequest is a net/http request seen as a requestView; converting a
// *http.Request to it costs nothing.
type stdRequest http.Request

var (
	_ requestView = (*stdRequest)(nil)
	_ requestView = (*h1req)(nil)
)

func (r *stdRequest) requestHost() string { return r.Host }

func (r *stdRequest) headerValue(name string, i int) (string, bool) {
	if vv := r.Header[name]; i < len(vv) {
		return vv[i], true
	}
	return "", false
}

// matches reports whether every condition of the rule holds for r.
func (cr *rule) matches(r requestView) bool {
	for i := range cr.headers {
		if !headerMatches(r, &cr.headers[i]) {
			return false
		}
	}
	for i := range cr.cookies {
		if !cookieMatches(r, &cr.cookies[i]) {
			return false
		}
	}
	return true
}

// headerMatches holds when any value of the header matches. An absent header
// never matches, whatever the matcher.
func headerMatches(r requestView, c *condition) bool {
	if c.name == "Host" {
		// The server moves Host out of the header map.
		h := r.requestHost()
		return h != "" && c.m.match(h)
	}
	for i := 0; ; i++ {
		v, ok := r.headerValue(c.name, i)
		if !ok {
			return false
		}
		if c.m.match(v) {
			return true
		}
	}
}

// cookieMatches scans Cookie header lines for the named cookie without
// building http.Cookie values, so matching stays allocation-free. Any cookie
// of that name whose value matches is enough. As in net/http, spaces around
// a pair are ignored and a value in double quotes is compared without them.
func cookieMatches(r requestView, c *condition) bool {
	for i := 0; ; i++ {
		line, ok := r.headerValue("Cookie", i)
		if !ok {
			return false
		}
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = textproto.TrimString(part)
			name, val, ok := strings.Cut(part, "=")
			if !ok || textproto.TrimString(name) != c.name {
				continue
			}
			if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if c.m.match(val) {
				return true
			}
		}
	}
}

// validToken reports whether s is an RFC 7230 token, the grammar of header
// and cookie names.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]StringMatch) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
