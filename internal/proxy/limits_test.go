package proxy

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLimits: each limit answers its status and closes the connection, on
// the own server, on a connection the own server handed to net/http (the
// gate), and, where a handler can see it, on a plain net/http server; a
// request just within each limit passes.
func TestLimits(t *testing.T) {
	lim := Limits{MaxURIBytes: 100, MaxHeaderBytes: 1024, MaxHeaderFields: 5, MaxBodyBytes: 10}
	req := func(target string, fields ...string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: h\r\n" + strings.Join(fields, "") + "\r\n"
	}
	xs := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, "X-"+strconv.Itoa(i)+": v\r\n")
		}
		return out
	}
	tests := map[string]struct {
		send    string
		code    int
		ownOnly bool // net/http hides what the rule is about from a handler
	}{
		"target at the limit":              {send: req("/" + strings.Repeat("a", 99)), code: 200},
		"target over the limit":            {send: req("/" + strings.Repeat("a", 100)), code: 414},
		"request line of 10 KiB":           {send: req("/" + strings.Repeat("a", 10<<10)), code: 414, ownOnly: true},
		"fields at the limit":              {send: req("/", xs(4)...), code: 200},
		"fields over the limit":            {send: req("/", xs(5)...), code: 431},
		"head over the limit":              {send: req("/", "X-Big: "+strings.Repeat("b", 1100)+"\r\n"), code: 431, ownOnly: true},
		"body at the limit":                {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", code: 200},
		"body over the limit":              {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n0123456789!", code: 413},
		"chunked body over the limit":      {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n0123456789!\r\n0\r\n\r\n", code: 413},
		"CONNECT":                          {send: "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", code: 405},
		"length and chunked":               {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
		"chunked on HTTP/1.0":              {send: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
		"two Transfer-Encodings":           {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
		"chunked not last":                 {send: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", code: 400, ownOnly: true},
		"a request line without a version": {send: "GET /nine\r\n\r\n", code: 400, ownOnly: true},
		"two equal lengths":                {send: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n!", code: 400, ownOnly: true},
		"obs-fold":                         {send: req("/", "X-A: a\r\n b\r\n"), code: 400, ownOnly: true},
		"bare LF":                          {send: "GET / HTTP/1.1\nHost: h\n\n", code: 400, ownOnly: true},
		"empty lines before a request":     {send: "\r\n\r\n" + req("/"), code: 200, ownOnly: true},
	}
	// A first request the own server hands to net/http: a method it does
	// not serve itself.
	const handedOff = "PROPFIND /first HTTP/1.1\r\nHost: h\r\n\r\n"
	for name, tc := range tests {
		for _, how := range []string{"own server", "after a handoff", "net/http"} {
			if tc.ownOnly && how == "net/http" {
				continue
			}
			t.Run(how+"/"+name, func(t *testing.T) {
				up := newRawUpstream(t, nil)
				l := lim
				p := newTestProxyWith(t, Options{Release: "test", Limits: l}, up.URL(), "", 0)
				fe := servers[map[bool]string{true: "net/http", false: "own server"}[how == "net/http"]](t, p)
				conn, br := dialRaw(t, fe.Addr)
				send := tc.send
				if how == "after a handoff" {
					send = handedOff + send
				}
				if _, err := io.WriteString(conn, send); err != nil {
					t.Fatal(err)
				}
				if how == "after a handoff" {
					checkResponse(t, br, 0, expect{code: 200, body: "PROPFIND /first "})
					if fe.srv.handoffs.Load() != 1 {
						t.Fatalf("%d handoffs, want 1", fe.srv.handoffs.Load())
					}
				}
				res, err := http.ReadResponse(br, &http.Request{Method: firstLine(tc.send)[:strings.IndexByte(firstLine(tc.send)+" ", ' ')]})
				if err != nil {
					t.Fatalf("no response: %v", err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != tc.code || (tc.code != 200 && !res.Close) {
					t.Errorf("answered %d (close %v), want %d", res.StatusCode, res.Close, tc.code)
				}
				if tc.code == 200 {
					return
				}
				if n := len(up.requests()); n != map[bool]int{true: 1, false: 0}[how == "after a handoff"] {
					t.Errorf("the upstream read %d requests; a refused one must not reach it", n)
				}
				if got := p.ClientErrors()[tc.code]; got != 1 {
					t.Errorf("client errors %v, want one %d", p.ClientErrors(), tc.code)
				}
				if s := p.Stats(); s.Stable.Errors != 0 || s.Stable.Requests != uint64(len(up.requests())) {
					t.Errorf("stats %+v: a refused request counted for the version", s.Stable)
				}
			})
		}
	}
}

// TestBodyTimeout: a body that stops coming is answered 408 once
// BodyTimeout has passed, on the own server (a small body, read whole
// before forwarding) and on net/http (a large one, streamed), and neither
// counts for the version.
func TestBodyTimeout(t *testing.T) {
	tests := map[string]struct {
		serve func(testing.TB, *Proxy) *frontend
		send  string
	}{
		"own server, small body": {serve: front, send: "POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf"},
		"handed off, large body": {serve: front, send: "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 30000\r\n\r\n" + strings.Repeat("x", 20000)},
		"net/http, large body":   {serve: frontStd, send: "POST /l HTTP/1.1\r\nHost: h\r\nContent-Length: 30000\r\n\r\n" + strings.Repeat("x", 20000)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			up := newRawUpstream(t, nil)
			p := newTestProxyWith(t, Options{Release: "test", Limits: Limits{BodyTimeout: 300 * time.Millisecond}}, up.URL(), "", 0)
			fe := tc.serve(t, p)
			conn, br := dialRaw(t, fe.Addr)
			start := time.Now()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if d := time.Since(start); res.StatusCode != http.StatusRequestTimeout || d < 250*time.Millisecond || d > 3*time.Second {
				t.Errorf("answered %d after %v, want 408 after the 300ms body timeout", res.StatusCode, d)
			}
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				t.Errorf("connection still open after the 408 (%v)", err)
			}
			if s := p.Stats(); s.Stable.Requests != 0 || p.ClientErrors()[http.StatusRequestTimeout] != 1 {
				t.Errorf("stats %+v, client errors %v; want nothing for the version, one 408", s.Stable, p.ClientErrors())
			}
		})
	}
}

// TestLimitsTimeoutsFromOptions: the header and idle timeouts of Limits
// reach the own server: a half head and an idle connection are closed in
// time.
func TestLimitsTimeoutsFromOptions(t *testing.T) {
	up := newRawUpstream(t, nil)
	p := newTestProxyWith(t, Options{Release: "test", Limits: Limits{HeaderTimeout: 200 * time.Millisecond, IdleTimeout: 400 * time.Millisecond}}, up.URL(), "", 0)
	fe := front(t, p)
	tests := map[string]struct {
		send     string
		min, max time.Duration
	}{
		"half a head": {send: "GET / HTTP/1.1\r\nHost: h\r\n", min: 150 * time.Millisecond, max: 2 * time.Second},
		"idle":        {send: "GET / HTTP/1.1\r\nHost: h\r\n\r\n", min: 350 * time.Millisecond, max: 2 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			conn, _ := dialRaw(t, fe.Addr)
			start := time.Now()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			_, err := io.Copy(io.Discard, conn)
			if d := time.Since(start); err != nil || d < tc.min || d > tc.max {
				t.Errorf("closed after %v (err %v), want between %v and %v", d, err, tc.min, tc.max)
			}
		})
	}
}
