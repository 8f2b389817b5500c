package proxy

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSmugglingAttemptsStayInStep sends requests whose framing is
// ambiguous, with a second request hidden in the body. Those the screen
// (h1screen.go) refuses are answered 400 and the connection closed, with
// nothing sent upstream, as nginx does; the rest are net/http's to judge
// (one handoff), and whatever it decides, the proxy and the upstream must
// agree on it: if the hidden request reaches the upstream, it is because
// the proxy read it as a request, and the client gets its response as a
// response of its own.
func TestSmugglingAttemptsStayInStep(t *testing.T) {
	const hidden = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
	n := strconv.Itoa(len(hidden))
	tests := map[string]struct {
		send     string
		screened bool // refused by the screen: 400, nothing upstream
	}{
		"length and chunked": {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n", screened: true},
		"chunked, then length": {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 50\r\n\r\n" +
			"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n", screened: true},
		"GET with a length": {send: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: " + n + "\r\n\r\n" +
			hidden},
		"obfuscated encoding": {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\nContent-Length: " + n + "\r\n\r\n" +
			hidden, screened: true},
		"folded encoding": {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: " + n + "\r\n\r\n" +
			hidden, screened: true},
		"bare LF": {send: "GET / HTTP/1.1\nHost: h\nContent-Length: " + n + "\n\n" +
			hidden, screened: true},
		"two lengths": {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: " + n + "\r\n\r\n" +
			hidden, screened: true},
		"HTTP/1.0 chunked": {send: "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: " + n + "\r\n\r\n" +
			hidden, screened: true},
		"HTTP/1.0 chunked, no length": {send: "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\n" + hidden, screened: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			seen := &pathLog{}
			p := newTestProxy(t, echoBackend(t, seen), "", 0)
			fe := front(t, p)
			conn, br := dialRaw(t, fe.Addr)
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			answered := false // the hidden request was answered as a request of its own
			var codes []int
			_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			for {
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				codes = append(codes, res.StatusCode)
				body, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				answered = answered || strings.HasPrefix(string(body), "GET /smuggled ")
			}
			if seen.has("/smuggled") && !answered {
				t.Error("the hidden request reached the upstream, and its response did not reach the client as a response of its own")
			}
			if tc.screened {
				if len(codes) != 1 || codes[0] != http.StatusBadRequest || len(seen.all()) != 0 || fe.srv.handoffs.Load() != 0 {
					t.Errorf("answers %v, upstream saw %q, %d handoffs; want one 400, nothing upstream, no handoff", codes, seen.all(), fe.srv.handoffs.Load())
				}
				return
			}
			if fe.srv.handoffs.Load() != 1 {
				t.Errorf("%d handoffs, want 1: net/http must judge it", fe.srv.handoffs.Load())
			}
		})
	}
}
