package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 12, item 0: no client may ever get a response meant for another,
// whatever a client sends or an upstream answers, on either server.

// servers are the two ways the proxy is served: its own server, and the
// Proxy as the handler of a plain net/http server.
var servers = map[string]func(testing.TB, *Proxy) *frontend{
	"own server": front,
	"net/http":   frontStd,
}

// rawResult is a response read off a raw connection, body and all.
type rawResult struct {
	code   int
	close  bool
	header http.Header
}

// roundTripRaw sends raw on a new connection and reads one response.
func roundTripRaw(t *testing.T, addr, raw string) (rawResult, string) {
	t.Helper()
	conn, br := dialRaw(t, addr)
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("response to %q: %v", firstLine(raw), err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatalf("body of the response to %q: %v", firstLine(raw), err)
	}
	return rawResult{code: res.StatusCode, close: res.Close, header: res.Header}, string(body)
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// TestConnectionCannotStripContentLength: a request whose Connection field
// lists Content-Length keeps it, so its body is not read upstream as a
// second request, whose response would go to the next client.
func TestConnectionCannotStripContentLength(t *testing.T) {
	const hidden = "GET /hidden HTTP/1.1\r\nHost: h\r\n\r\n"
	for name, serve := range servers {
		t.Run(name, func(t *testing.T) {
			up := newRawUpstream(t, nil)
			fe := serve(t, newTestProxy(t, up.URL(), "", 0))
			_, body := roundTripRaw(t, fe.Addr, "POST /a HTTP/1.1\r\nHost: h\r\nConnection: Content-Length\r\nContent-Length: "+
				strconv.Itoa(len(hidden))+"\r\n\r\n"+hidden)
			if body != "POST /a "+hidden {
				t.Errorf("first client got %q", body)
			}
			_, body = roundTripRaw(t, fe.Addr, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
			if body != "GET /next " {
				t.Errorf("second client got %q, want its own response", body)
			}
			var lines []string
			for _, r := range up.requests() {
				lines = append(lines, r.line)
			}
			if len(lines) != 2 || lines[0] != "POST /a HTTP/1.1" || lines[1] != "GET /next HTTP/1.1" {
				t.Errorf("upstream read %q, want the POST (with its body) and the GET", lines)
			}
		})
	}
}

// TestResponseConnectionCannotStripContentLength: a response whose
// Connection field lists Content-Length keeps it, so the client does not
// read the next response as part of this one's body.
func TestResponseConnectionCannotStripContentLength(t *testing.T) {
	up := newRawUpstream(t, func(w io.Writer, r rawReq, _ int) bool {
		_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello")
		return true
	})
	for name, serve := range servers {
		t.Run(name, func(t *testing.T) {
			fe := serve(t, newTestProxy(t, up.URL(), "", 0))
			conn, br := dialRaw(t, fe.Addr)
			if _, err := io.WriteString(conn, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			for i := range 2 {
				checkResponse(t, br, i, expect{code: 200, body: "hello"})
			}
		})
	}
}

// TestUnsolicitedUpstreamBytesNeverReachAnotherClient: an upstream that
// sends more than the response asked for — a second response, at once or
// later, or a 408 before closing an idle connection — leaves its
// connection unusable: the next client's request goes on a fresh one and
// gets its own response.
func TestUnsolicitedUpstreamBytesNeverReachAnotherClient(t *testing.T) {
	const evil = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
	echo := func(w io.Writer, r rawReq) {
		body := r.method + " " + r.target + " " + r.body
		_, _ = fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	upstreams := map[string]func(w io.Writer, r rawReq, n int) bool{
		"a second response with the first": func(w io.Writer, r rawReq, n int) bool {
			echo(w, r)
			if n == 1 {
				_, _ = io.WriteString(w, evil)
			}
			return true
		},
		"a second response after a while": func(w io.Writer, r rawReq, n int) bool {
			echo(w, r)
			if n == 1 {
				time.Sleep(50 * time.Millisecond)
				_, _ = io.WriteString(w, evil)
			}
			return true
		},
		"a 408 before an idle close": func(w io.Writer, r rawReq, n int) bool {
			echo(w, r)
			if n == 1 {
				time.Sleep(50 * time.Millisecond)
				_, _ = io.WriteString(w, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
				return false
			}
			return true
		},
	}
	requests := map[string]string{
		"GET":  "GET /%s HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST": "POST /%s HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
	}
	for uname, respond := range upstreams {
		for sname, serve := range servers {
			for method, format := range requests {
				t.Run(uname+"/"+sname+"/"+method, func(t *testing.T) {
					up := newRawUpstream(t, respond)
					fe := serve(t, newTestProxy(t, up.URL(), "", 0))
					_, body := roundTripRaw(t, fe.Addr, fmt.Sprintf(format, "a"))
					if !strings.HasPrefix(body, method+" /a ") {
						t.Fatalf("first client got %q", body)
					}
					time.Sleep(150 * time.Millisecond) // the upstream has sent what it had to
					res, body := roundTripRaw(t, fe.Addr, fmt.Sprintf(format, "b"))
					if res.code != 200 || !strings.HasPrefix(body, method+" /b ") {
						t.Errorf("second client got %d %q, want its own response", res.code, body)
					}
				})
			}
		}
	}
}

// TestInvalidChunkedBodyIsTheClients: a body that is not chunked encoding
// is answered 400, counted as the client's, and never ejects the version
// or counts against it. Both servers read a body of up to 64 KiB whole
// before anything goes upstream (the own server up to 16 KiB, net/http's
// path the rest); a larger one is streamed, and the upstream exchange is
// aborted where the encoding breaks.
func TestInvalidChunkedBodyIsTheClients(t *testing.T) {
	const head = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	big := strings.Repeat("x", 20<<10)
	bodies := map[string]struct {
		body      string
		nothingUp bool // nothing may reach the upstream
	}{
		"not a size":             {body: "zz\r\nabc\r\n0\r\n\r\n", nothingUp: true},
		"no CRLF after the data": {body: "3\r\nabcdef\r\n0\r\n\r\n", nothingUp: true},
		"bare LF after a size":   {body: "3\nabc\r\n0\r\n\r\n", nothingUp: true},
		"bare CR after a size":   {body: "3\rabc\r\n0\r\n\r\n", nothingUp: true},
		"empty size":             {body: "\r\nabc\r\n0\r\n\r\n", nothingUp: true},
		"20 KiB, then invalid":   {body: "5000\r\n" + big + "\r\nzz\r\n0\r\n\r\n", nothingUp: true},
		"a 9-digit size":         {body: "000000003\r\nabc\r\nzz\r\n", nothingUp: true},
		"a 17-digit size":        {body: "10000000000000000\r\n", nothingUp: true},
		"100 KiB, then invalid":  {body: "19000\r\n" + strings.Repeat("y", 0x19000) + "\r\nzz\r\n0\r\n\r\n"},
	}
	for sname, serve := range servers {
		for bname, tc := range bodies {
			t.Run(sname+"/"+bname, func(t *testing.T) {
				up := newRawUpstream(t, nil)
				p := newTestProxyWith(t, Options{Release: "test", DisableRetry: true}, up.URL(), up.URL(), 50)
				fe := serve(t, p)
				for range 2 * DefaultOutlierConsecutiveErrors {
					res, _ := roundTripRaw(t, fe.Addr, head+tc.body)
					if res.code != http.StatusBadRequest || !res.close {
						t.Fatalf("answered %d (close %v), want 400 and close", res.code, res.close)
					}
				}
				s, h := p.Stats(), p.Health()
				if s.Stable.Requests+s.Canary.Requests != 0 || h.Stable.Ejections+h.Canary.Ejections != 0 ||
					h.Stable.ConsecutiveErrors+h.Canary.ConsecutiveErrors != 0 {
					t.Errorf("counted against the versions: stats %+v %+v, health %+v", s.Stable, s.Canary, h)
				}
				if got := p.ClientErrors()[http.StatusBadRequest]; got != 2*DefaultOutlierConsecutiveErrors {
					t.Errorf("%d client errors counted, want %d", got, 2*DefaultOutlierConsecutiveErrors)
				}
				if tc.nothingUp && len(up.requests()) != 0 {
					t.Errorf("the upstream read %d requests; a body checked whole must be refused before anything is sent", len(up.requests()))
				}
			})
		}
	}
}
