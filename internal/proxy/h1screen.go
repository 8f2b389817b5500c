package proxy

import (
	"bytes"
	"net/http"
	"strings"
)

// The screen: the rules every HTTP/1.1 request head is held to before
// either server acts on it, judged on the bytes as the client sent them —
// net/http hides some of them from handlers (it drops Transfer-Encoding on
// HTTP/1.0 and Content-Length beside a chunked encoding, folds obs-fold,
// merges duplicate lengths). The own server applies it to every head it
// reads, and the gate (gate.go) to every head on a connection handed to
// net/http, so the two servers refuse the same requests, as nginx does,
// and nothing ambiguous reaches an upstream:
//
//   - a request target longer than MaxURIBytes: 414;
//   - more than MaxHeaderFields field lines: 431 (a head over
//     MaxHeaderBytes is refused while it is read, by headLimit);
//   - CONNECT: 405 (the proxy is no tunnel);
//   - a line not ended by CRLF (bare LF), a bare CR, or obs-fold: 400;
//   - a request line that is not "method SP target SP HTTP/d.d": 400;
//   - Transfer-Encoding in an HTTP/1.0 request, or beside Content-Length,
//     or whose final coding is not chunked, Content-Length or
//     Transfer-Encoding twice: 400 (RFC 9112 6.1, 6.3);
//   - a Content-Length over MaxBodyBytes: 413.
//
// Everything else passes, to be parsed, answered or refused by the server
// that serves it.

// bodyFraming is how a screened request's body is delimited.
type bodyFraming uint8

const (
	framingNone    bodyFraming = iota // no body: the next head follows
	framingLength                     // Content-Length bytes
	framingChunked                    // chunked (or another coding net/http judges)
	framingOpaque                     // no more HTTP/1.1 heads follow: HTTP/2's preface
)

// h2Preface begins an HTTP/2 connection with prior knowledge (h2c).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// screenHead judges a complete head, its last line the empty one. It
// returns the status to refuse it with, or 0 and how its body is framed
// (length: the Content-Length, when framing is framingLength).
func screenHead(head []byte, lim *Limits) (code int, framing bodyFraming, length int64) {
	if bytes.HasPrefix(head, []byte(h2Preface[:18])) {
		return 0, framingOpaque, 0
	}
	if hasBareCRorLF(head) {
		return http.StatusBadRequest, 0, 0
	}
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	method, afterMethod, _ := bytes.Cut(line, []byte(" "))
	target := afterMethod
	var version []byte
	if i := bytes.LastIndexByte(afterMethod, ' '); i >= 0 {
		target, version = afterMethod[:i], afterMethod[i+1:]
	}
	switch {
	case lim.uriTooLong(string(target)):
		return http.StatusRequestURITooLong, 0, 0
	case !validRequestLine(method, target, version):
		// net/http would answer 400 too, but only once it has 24 bytes:
		// it waits for HTTP/2's preface on a shorter request.
		return http.StatusBadRequest, 0, 0
	case string(method) == http.MethodConnect:
		return http.StatusMethodNotAllowed, 0, 0
	}
	var fields, lengths, codingFields int
	var te, badLength bool
	var codings []byte  // the transfer codings, of every Transfer-Encoding field
	for len(rest) > 2 { // the last line is the empty one
		var fl []byte
		fl, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(fl) == 0 {
			break
		}
		if fl[0] == ' ' || fl[0] == '\t' {
			return http.StatusBadRequest, 0, 0 // obs-fold (RFC 9112 5.2)
		}
		fields++
		name, value, _ := bytes.Cut(fl, []byte(":"))
		value = bytes.Trim(value, " \t")
		switch {
		case equalFoldBytes(name, "Content-Length"):
			lengths++
			n, ok := parseDecimal(value)
			badLength = badLength || !ok
			length = n
		case equalFoldBytes(name, "Transfer-Encoding"):
			te, codingFields = true, codingFields+1
			codings = append(append(codings, ','), value...)
		}
	}
	switch {
	case lim.tooManyFields(fields):
		return http.StatusRequestHeaderFieldsTooLarge, 0, 0
	case te && (string(version) == "HTTP/1.0" || lengths > 0 || !finalChunked(codings)), lengths > 1, codingFields > 1:
		// RFC 9112 6.1 and 6.3: with chunked not the final coding, the
		// body's length cannot be known, and the server must answer 400.
		return http.StatusBadRequest, 0, 0
	case lengths == 1 && !badLength && lim.bodyTooLarge(length):
		return http.StatusRequestEntityTooLarge, 0, 0
	}
	switch {
	case te, badLength:
		// net/http reads plain chunks, and refuses any other coding or
		// an invalid length, closing the connection.
		return 0, framingChunked, 0
	case lengths == 1 && length > 0:
		return 0, framingLength, length
	}
	return 0, framingNone, 0
}

// headLimit judges a head still being read, b from its first byte: the
// status to refuse it with once it is over a limit, else 0. A request line
// longer than the longest target allows is 414, as nginx has it, without
// waiting for the rest; a head over MaxHeaderBytes is 431.
func headLimit(b []byte, lim *Limits) int {
	if lim.MaxURIBytes >= 0 {
		// Room for the longest method net/http takes and " HTTP/1.1".
		const lineOverhead = 64
		end := bytes.Index(b, []byte("\r\n"))
		if (end < 0 && len(b) > lim.MaxURIBytes+lineOverhead) || end > lim.MaxURIBytes+lineOverhead {
			return http.StatusRequestURITooLong
		}
	}
	if len(b) > lim.MaxHeaderBytes {
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return 0
}

// hasBareCRorLF reports whether a CR is not followed by LF, or an LF not
// preceded by CR, anywhere in b: lines end with CRLF (RFC 9112 2.2).
func hasBareCRorLF(b []byte) bool {
	for i, c := range b {
		switch c {
		case '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return true
			}
		case '\n':
			if i == 0 || b[i-1] != '\r' {
				return true
			}
		}
	}
	return false
}

// parseDecimal reads a Content-Length as net/http does: decimal digits
// only, at most 18 of them.
func parseDecimal(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func equalFoldBytes(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

// checkParsed applies the screen to a head parseRequest accepted, which
// already holds the rules of the screen that are about framing: only the
// limits are left to check.
func (r *h1req) checkParsed(lim *Limits) int {
	switch {
	case lim.uriTooLong(r.target):
		return http.StatusRequestURITooLong
	case lim.tooManyFields(len(r.fields)):
		return http.StatusRequestHeaderFieldsTooLarge
	case !r.chunked && lim.bodyTooLarge(int64(r.bodyLen)):
		return http.StatusRequestEntityTooLarge
	}
	return 0
}

// validRequestLine reports a request line of the form RFC 9112 3 gives:
// a token method, one space, a target without spaces, one space, and
// HTTP/ with a digit, a dot and a digit.
func validRequestLine(method, target, version []byte) bool {
	if len(method) == 0 || len(target) == 0 || bytes.IndexByte(target, ' ') >= 0 || len(version) != 8 ||
		!bytes.HasPrefix(version, []byte("HTTP/")) || version[6] != '.' ||
		version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9' {
		return false
	}
	for _, c := range method {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// finalChunked reports whether the last coding of a Transfer-Encoding
// list (its fields joined) is chunked.
func finalChunked(codings []byte) bool {
	i := bytes.LastIndexByte(codings, ',')
	last := bytes.Trim(codings[i+1:], " \t")
	return equalFoldBytes(last, "chunked")
}
