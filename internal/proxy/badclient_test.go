package proxy

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// badRequests are requests a client can send to make the proxy fail:
// each must be answered (or dropped) as the client's, and never count
// against the version it would have gone to. reset closes the connection
// after sending; stall waits for the body timeout; ownOnly rules need the
// head as sent, which a handler behind a plain net/http server never sees.
var badRequests = map[string]struct {
	send                  string
	reset, stall, ownOnly bool
	code                  int // the proxy's answer; 0 when the client is gone first
}{
	"invalid chunk, small":  {send: "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", code: 400},
	"invalid chunk, large":  {send: "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5000\r\n" + strings.Repeat("x", 0x5000) + "\r\nzz\r\n", code: 400},
	"length and chunked":    {send: "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
	"chunked on HTTP/1.0":   {send: "POST /c HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
	"1 MiB header line":     {send: "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 1<<20) + "\r\n\r\n", code: 431},
	"10,000 header fields":  {send: "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", 10000) + "\r\n", code: 431},
	"long target":           {send: "GET /" + strings.Repeat("u", 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n", code: 414},
	"CONNECT":               {send: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", code: 405},
	"reset mid-body, small": {send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf", reset: true},
	"reset mid-body, large": {send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 30000), reset: true},
	"stalled body, small":   {send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf", stall: true, code: 408},
	"stalled body, large":   {send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 30000), stall: true, code: 408},
}

// sendBad sends one bad request on its own connection and returns the
// proxy's answer, 0 for none.
func sendBad(t *testing.T, addr, send string, reset bool) int {
	t.Helper()
	conn, br := dialRaw(t, addr)
	_, _ = io.WriteString(conn, send)
	if reset {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, not a close
		}
		_ = conn.Close()
		return 0
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

// TestBadClientsLeaveVersionsAlone: bad requests of every kind, sent more
// often in a row than it takes to eject a version, beside good requests,
// on both servers: the good ones are served by both versions, and neither
// version has an error, an ejection or a request it did not serve.
func TestBadClientsLeaveVersionsAlone(t *testing.T) {
	const rounds = 2 * DefaultOutlierConsecutiveErrors
	for sname, serve := range servers {
		for name, bad := range badRequests {
			if bad.ownOnly && sname != "own server" {
				continue
			}
			t.Run(sname+"/"+name, func(t *testing.T) {
				stableUp, canaryUp := newRawUpstream(t, nil), newRawUpstream(t, nil)
				p := newTestProxyWith(t, Options{Release: "test", Limits: Limits{BodyTimeout: 100 * time.Millisecond}},
					stableUp.URL(), canaryUp.URL(), 50)
				fe := serve(t, p)
				good := 0
				for i := range rounds {
					if code := sendBad(t, fe.Addr, bad.send, bad.reset); code != bad.code {
						t.Fatalf("bad request %d answered %d, want %d", i, code, bad.code)
					}
					res, body := roundTripRaw(t, fe.Addr, "GET /good/"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: h\r\n\r\n")
					if res.code != 200 || !strings.HasPrefix(body, "GET /good/") {
						t.Fatalf("good request %d answered %d %q", i, res.code, body)
					}
					good++
				}
				// A reset is noticed by the proxy a moment after the client
				// is gone.
				time.Sleep(100 * time.Millisecond)
				s, h := p.Stats(), p.Health()
				if s.Stable.Errors+s.Canary.Errors != 0 || s.Stable.Requests+s.Canary.Requests != uint64(good) ||
					s.Stable.Requests == 0 || s.Canary.Requests == 0 {
					t.Errorf("stats stable %d/%d, canary %d/%d (errors/requests); want no errors and the %d good requests only, on both",
						s.Stable.Errors, s.Stable.Requests, s.Canary.Errors, s.Canary.Requests, good)
				}
				if h.Stable.Ejections+h.Canary.Ejections != 0 || h.Stable.ConsecutiveErrors+h.Canary.ConsecutiveErrors != 0 {
					t.Errorf("health %+v: a bad client harmed a version", h)
				}
				if bad.code != 0 && p.ClientErrors()[bad.code] != rounds {
					t.Errorf("client errors %v, want %d × %d", p.ClientErrors(), rounds, bad.code)
				}
			})
		}
	}
}
