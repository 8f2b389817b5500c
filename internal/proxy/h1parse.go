package proxy

import "strings"

// The request parser of the proxy's own HTTP/1.1 server (server.go). It
// accepts only what the hot path forwards — a bodiless GET, HEAD, OPTIONS
// or TRACE, or a POST, PUT, PATCH or DELETE whose body is framed by one
// plain decimal Content-Length or by "Transfer-Encoding: chunked" alone,
// with an origin-form target and plain, valid header fields — and is
// stricter than net/http everywhere but in the target, which it takes as
// any visible ASCII and forwards as sent (target.go), where net/http
// refuses a path with an invalid '%' escape. Anything else, odd or merely
// rare (a body on GET, other transfer codings, both framings, Upgrade,
// Expect, a duplicate Host or Content-Length, a signed or listed length,
// obs-fold, bare LF, bytes outside visible ASCII, an absolute or asterisk
// target, HTTP/2's preface), makes parseRequest return false: the screen
// (h1screen.go) refuses what nginx refuses, and the connection is handed
// to net/http, which answers the rest or rejects it by its own rules. So
// no request is ever read differently by the two servers (FuzzH1Request
// checks it), and smuggling defences are the screen's, then net/http's.

// h1req is one request as the hot path reads it. Its strings are slices of
// head, which is the request's one allocation; fields is reused from one
// request to the next on a connection.
type h1req struct {
	head       string // request line and header fields, up to and including the blank line
	method     string
	target     string // as sent
	path       string // target up to '?', escaped as sent
	query      string // after '?', raw
	forceQuery bool   // a '?' with nothing after it
	minor      int    // HTTP/1.minor: 0 or 1
	host       string
	fields     []hfield
	hasConn    bool // a Connection field is present
	wantClose  bool // the client asked to close after this request
	bodyLen    int  // Content-Length, or a chunked body's decoded length once read
	chunked    bool // the body is chunked (h1chunked.go)
	replayable bool // safe to send twice: a bodiless method, or an Idempotency-Key
}

// maxH1Body bounds the bodies the own server forwards itself; it reads each
// whole into the read buffer before forwarding it (readBody, h1conn.go).
const maxH1Body = maxHeadBuffer

// hfield is one header field: the name as sent, the value without
// surrounding whitespace.
type hfield struct{ name, value string }

func (r *h1req) requestHost() string { return r.host }

func (r *h1req) headerValue(name string, i int) (string, bool) {
	for _, f := range r.fields {
		if len(f.name) == len(name) && strings.EqualFold(f.name, name) {
			if i == 0 {
				return f.value, true
			}
			i--
		}
	}
	return "", false
}

// Byte classes of the grammars the parser checks.
var (
	tokenChars = byteSet("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
	hostChars  = byteSet("-._~!$&'()*+,;=:[]%0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
)

func byteSet(s string) (set [256]bool) {
	for i := 0; i < len(s); i++ {
		set[s[i]] = true
	}
	return set
}

// fieldKind names the header fields the parser acts on.
type fieldKind uint8

const (
	fieldOther fieldKind = iota
	fieldHost
	fieldContentLength
	fieldConnection
	fieldTransferEncoding
	fieldRefused // makes the request ineligible: Upgrade, Expect
)

func kindOf(name string) fieldKind {
	switch len(name) {
	case 4:
		if strings.EqualFold(name, "Host") {
			return fieldHost
		}
	case 6:
		if strings.EqualFold(name, "Expect") {
			return fieldRefused
		}
	case 7:
		if strings.EqualFold(name, "Upgrade") {
			return fieldRefused
		}
	case 10:
		if strings.EqualFold(name, "Connection") {
			return fieldConnection
		}
	case 14:
		if strings.EqualFold(name, "Content-Length") {
			return fieldContentLength
		}
	case 17:
		if strings.EqualFold(name, "Transfer-Encoding") {
			return fieldTransferEncoding
		}
	}
	return fieldOther
}

// parseRequest parses head, a complete request head ending in an empty
// line, into r. It returns false when the request is not one the hot path
// serves; r is then undefined.
func parseRequest(head string, r *h1req) bool {
	r.head, r.fields, r.hasConn, r.host, r.bodyLen, r.chunked = head, r.fields[:0], false, "", 0, false
	line, rest, ok := strings.Cut(head, "\r\n")
	if !ok || !parseRequestLine(line, r) {
		return false
	}
	var hasHost, hasLength, closeTok, keepTok bool
	for {
		var name, value string
		var end bool
		name, value, rest, end, ok = nextField(rest)
		if !ok {
			return false
		}
		if end {
			break
		}
		if !validRequestValue(value) {
			return false
		}
		switch kindOf(name) {
		case fieldHost:
			if hasHost || !validHost(value) {
				return false
			}
			hasHost, r.host = true, value
		case fieldContentLength:
			n, ok := parseLength(value)
			if hasLength || !ok || (n > 0 && !bodyMethod(r.method)) {
				return false // a second length, or a body on GET, HEAD, OPTIONS or TRACE
			}
			hasLength, r.bodyLen = true, n
		case fieldTransferEncoding:
			if r.chunked || r.minor == 0 || !bodyMethod(r.method) || !strings.EqualFold(value, "chunked") {
				return false // two, HTTP/1.0, a body on GET..., or another coding
			}
			r.chunked = true
		case fieldConnection:
			r.hasConn = true
			for tok := range strings.SplitSeq(value, ",") {
				switch tok = trimOWS(tok); {
				case strings.EqualFold(tok, "close"):
					closeTok = true
				case strings.EqualFold(tok, "keep-alive"):
					keepTok = true
				}
			}
		case fieldRefused:
			return false
		}
		r.fields = append(r.fields, hfield{name: name, value: value})
	}
	if rest != "" || (r.minor == 1 && !hasHost) || (r.chunked && hasLength) {
		return false
	}
	r.wantClose = closeTok || (r.minor == 0 && !keepTok)
	r.replayable = replayable(r.method, func(name string) bool { _, ok := r.headerValue(name, 0); return ok })
	return true
}

// bodyMethod reports whether the own server forwards a body with method.
func bodyMethod(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// parseLength reads a Content-Length value as net/http does — decimal
// digits only, no sign — bounded by maxH1Body.
func parseLength(v string) (int, bool) {
	if v == "" || len(v) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	return n, n <= maxH1Body
}

// parseRequestLine parses "METHOD SP origin-form SP HTTP/1.x".
func parseRequestLine(line string, r *h1req) bool {
	method, rest, ok := strings.Cut(line, " ")
	if !ok {
		return false
	}
	if !bodyMethod(method) {
		switch method {
		case "GET", "HEAD", "OPTIONS", "TRACE":
		default:
			return false
		}
	}
	target, proto, ok := strings.Cut(rest, " ")
	if !ok {
		return false
	}
	switch proto {
	case "HTTP/1.1":
		r.minor = 1
	case "HTTP/1.0":
		r.minor = 0
	default:
		return false
	}
	r.method, r.target = method, target
	return parseTarget(target, r)
}

// parseTarget accepts an origin-form target of visible ASCII, which is
// forwarded byte for byte as sent (target.go): ';', '#', '%' escapes valid
// or not. Its path and query are kept apart for logs.
func parseTarget(target string, r *h1req) bool {
	if target == "" || target[0] != '/' {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	path, query, hasQuery := strings.Cut(target, "?")
	r.path, r.query, r.forceQuery = path, query, hasQuery && query == ""
	return true
}

// nextField cuts the next field line off a head's rest: its name and
// value (optional whitespace trimmed), or end at the blank line that closes
// the head. ok is false for a line without a colon, an empty or invalid
// name, or a head that ends without its blank line. The caller checks the
// value, whose rules differ between requests and responses.
func nextField(rest string) (name, value, after string, end, ok bool) {
	line, after, found := strings.Cut(rest, "\r\n")
	switch {
	case !found:
		return "", "", "", false, false
	case line == "":
		return "", "", after, true, true
	}
	colon := strings.IndexByte(line, ':')
	if colon <= 0 || !validName(line[:colon]) {
		return "", "", "", false, false
	}
	return line[:colon], trimOWS(line[colon+1:]), after, false, true
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return s != ""
}

// validRequestValue allows visible ASCII, space and tab: no control bytes,
// and no obs-text, which net/http would take and other servers might not.
func validRequestValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func validHost(s string) bool {
	for i := 0; i < len(s); i++ {
		if !hostChars[s[i]] {
			return false
		}
	}
	return s != ""
}

// trimOWS removes the optional whitespace (space, tab) around a value.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// headEnd finds the end of the head at the start of b, scanning from
// *scanned (updated, so a head that arrives in pieces is scanned once). It
// returns the head's length, 0 when b holds no complete head yet, or -1
// when the head has a line not ended by CRLF or begins with an empty line:
// such heads are net/http's to judge.
func headEnd(b []byte, scanned *int) int {
	for i := *scanned; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		if i == 0 || b[i-1] != '\r' || i == 1 {
			return -1
		}
		if i >= 3 && b[i-2] == '\n' && b[i-3] == '\r' {
			return i + 1
		}
	}
	*scanned = len(b)
	return 0
}
