package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Reading an upstream's response for the proxy's own server. A response
// head that fits the connection's buffer and is plain (CRLF lines, valid
// names and values, one Content-Length or Transfer-Encoding: chunked, no
// obs-fold) is parsed in place, with one allocation; any other is read by
// net/http's http.ReadResponse, which applies its own rules, and then
// forwarded the same way.

// upResp is the head of an upstream's response.
type upResp struct {
	code          int
	reason        string
	fields        []hfield
	hasConn       bool  // a Connection field is present: the fields it lists are hop-by-hop
	contentLength int64 // -1 when unknown
	chunked       bool
	noBody        bool // HEAD, 1xx, 204, 304
	close         bool // the upstream closes the connection after this response
	// res is set when http.ReadResponse read the head; its Body is then the
	// decoded body and its Trailer the trailers.
	res *http.Response
}

// readUpstreamHead reads one response head from br into u.
func readUpstreamHead(br *bufio.Reader, method string, u *upResp) error {
	n, err := peekResponseHead(br)
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if n > 0 {
		b, _ := br.Peek(n)
		if parseResponse(string(b), method == http.MethodHead, u) {
			_, _ = br.Discard(n)
			return nil
		}
	}
	res, err := http.ReadResponse(br, &http.Request{Method: method}) //nolint:bodyclose // copyBody closes it
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	u.fromResponse(res)
	return nil
}

var crlf2 = []byte("\r\n\r\n")

// peekResponseHead waits until br holds a complete head and returns its
// length, without consuming it; 0 when the head does not fit br's buffer
// or has a bare LF, which http.ReadResponse is left to read.
func peekResponseHead(br *bufio.Reader) (int, error) {
	from := 0
	for {
		b, _ := br.Peek(br.Buffered())
		if i := bytes.Index(b[from:], crlf2); i >= 0 {
			return from + i + 4, nil
		}
		if bytes.Contains(b, []byte("\n\n")) || len(b) >= br.Size() {
			return 0, nil
		}
		from = max(0, len(b)-3)
		if _, err := br.Peek(len(b) + 1); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, nil
			}
			return 0, err //nolint:wrapcheck // wrapped by the caller
		}
	}
}

// parseResponse parses a plain response head; false means it is not
// plain and http.ReadResponse must read it.
func parseResponse(head string, isHead bool, u *upResp) bool {
	*u = upResp{fields: u.fields[:0], contentLength: -1}
	line, rest, _ := strings.Cut(head, "\r\n")
	var minor int
	switch {
	case strings.HasPrefix(line, "HTTP/1.1 "):
		minor = 1
	case strings.HasPrefix(line, "HTTP/1.0 "):
	default:
		return false
	}
	line = line[len("HTTP/1.1 "):]
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ') {
		return false
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 100 || line[0] == '+' || line[0] == '-' {
		return false
	}
	u.code = code
	if len(line) > 3 {
		u.reason = line[4:]
	}
	if !validResponseValue(u.reason) {
		return false
	}
	var hasLength, closeTok, keepTok bool
	for {
		name, value, after, end, ok := nextField(rest)
		if !ok {
			return false
		}
		if end {
			break
		}
		rest = after
		if !validResponseValue(value) {
			return false
		}
		switch kindOf(name) {
		case fieldContentLength:
			n, err := strconv.ParseInt(value, 10, 64)
			if hasLength || err != nil || n < 0 || value[0] == '+' {
				return false
			}
			hasLength, u.contentLength = true, n
		case fieldConnection:
			u.hasConn = true
			for tok := range strings.SplitSeq(value, ",") {
				switch tok = trimOWS(tok); {
				case strings.EqualFold(tok, "close"):
					closeTok = true
				case strings.EqualFold(tok, "keep-alive"):
					keepTok = true
				}
			}
		case fieldTransferEncoding:
			if u.chunked || !strings.EqualFold(value, "chunked") {
				return false
			}
			u.chunked = true
		}
		u.fields = append(u.fields, hfield{name: name, value: value})
	}
	if u.chunked && hasLength {
		return false
	}
	u.noBody = isHead || code < 200 || code == http.StatusNoContent || code == http.StatusNotModified
	u.close = closeTok || (minor == 0 && !keepTok)
	if !u.noBody && !u.chunked && !hasLength {
		u.close = true // the body ends when the connection does
	}
	return true
}

// validResponseValue allows what net/http's client does: anything but
// control bytes other than tab.
func validResponseValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// fromResponse fills u from a response read by http.ReadResponse. Its
// header map is flattened into fields, hop-by-hop headers removed.
func (u *upResp) fromResponse(res *http.Response) {
	*u = upResp{fields: u.fields[:0], res: res, code: res.StatusCode, contentLength: res.ContentLength, close: res.Close}
	_, u.reason, _ = strings.Cut(res.Status, " ")
	u.noBody = res.Body == http.NoBody || res.StatusCode < 200 ||
		res.StatusCode == http.StatusNoContent || res.StatusCode == http.StatusNotModified
	removeHopHeaders(res.Header)
	for k, vv := range res.Header {
		for _, v := range vv {
			u.fields = append(u.fields, hfield{name: k, value: v})
		}
	}
	if n := len(res.Trailer); n > 0 {
		keys := make([]string, 0, n)
		for k := range res.Trailer {
			keys = append(keys, k)
		}
		u.fields = append(u.fields, hfield{name: "Trailer", value: strings.Join(keys, ", ")})
	}
}

// status is the response's status as http.Response.Status has it, for
// ejection reasons.
func (u *upResp) status() string {
	return strconv.Itoa(u.code) + " " + u.reason
}
