package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 12, item 3: the request target reaches the upstream byte for byte
// as the client sent it, on every path of the proxy.

// targetPaths are the ways a request goes through the proxy, each as the
// server it is sent to and the request around the target.
var targetPaths = map[string]struct {
	serve   func(testing.TB, *Proxy) *frontend
	request func(target string) string
	netHTTP bool // net/http's server parses the target first
}{
	"own server": {serve: front, request: func(tg string) string {
		return "GET " + tg + " HTTP/1.1\r\nHost: h\r\n\r\n"
	}},
	"own server, with a body": {serve: front, request: func(tg string) string {
		return "POST " + tg + " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
	}},
	"handed off (transport)": {serve: front, netHTTP: true, request: func(tg string) string {
		return "PROPFIND " + tg + " HTTP/1.1\r\nHost: h\r\n\r\n"
	}},
	"net/http, fast path": {serve: frontStd, netHTTP: true, request: func(tg string) string {
		return "GET " + tg + " HTTP/1.1\r\nHost: h\r\n\r\n"
	}},
	"net/http, transport": {serve: frontStd, netHTTP: true, request: func(tg string) string {
		return "POST " + tg + " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"
	}},
	"upgrade": {serve: frontStd, netHTTP: true, request: func(tg string) string {
		return "GET " + tg + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
	}},
}

func TestTargetForwardedAsSent(t *testing.T) {
	tests := map[string]struct {
		target  string
		badPath bool // net/http's server refuses it (an invalid escape in the path)
	}{
		"semicolons in the query":     {target: "/search?filter=a;b&page=2"},
		"escapes kept as sent":        {target: "/a%20b?q=a%20b+c&r=%2B"},
		"a bad escape in the query":   {target: "/s?x=%zz&y=1&z=%"},
		"a bad escape in the path":    {target: "/a%zz/b?x=1", badPath: true},
		"encoded slashes and dots":    {target: "/a%2Fb/%2e%2e/c"},
		"a fragment":                  {target: "/a#b?c#d"},
		"a double slash":              {target: "//double//slash?x=//y"},
		"sub-delims":                  {target: "/~u/@:!$&'()*+,;=?@:!$&'()*+,;=/?"},
		"an empty query":              {target: "/q?"},
		"characters to be escaped":    {target: "/[x]\"<y>`{z}|^\\?[a]=\"b\"&c=<d>"},
		"many parameters, duplicated": {target: "/p?" + strings.Repeat("a=1&a=2&", 200) + "b"},
	}
	for pname, path := range targetPaths {
		for name, tc := range tests {
			t.Run(pname+"/"+name, func(t *testing.T) {
				up := newRawUpstream(t, func(w io.Writer, r rawReq, _ int) bool {
					if r.method == "GET" && strings.Contains(strings.Join(r.fields, "\n"), "Upgrade") {
						_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") // not switched
						return true
					}
					_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
					return true
				})
				fe := path.serve(t, newTestProxy(t, up.URL(), "", 0))
				res, _ := roundTripRaw(t, fe.Addr, path.request(tc.target))
				if tc.badPath && path.netHTTP {
					if res.code != http.StatusBadRequest || len(up.requests()) != 0 {
						t.Errorf("answered %d, upstream read %d; want net/http's 400", res.code, len(up.requests()))
					}
					return
				}
				reqs := up.requests()
				if res.code != 200 || len(reqs) != 1 {
					t.Fatalf("answered %d, upstream read %d requests", res.code, len(reqs))
				}
				if reqs[0].target != tc.target {
					t.Errorf("upstream got  %q\nclient sent %q", reqs[0].target, tc.target)
				}
			})
		}
	}
}

// TestTargetJoinedWithUpstreamBase: an upstream URL with a path and query
// is joined with the target as sent, on each path.
func TestTargetJoinedWithUpstreamBase(t *testing.T) {
	for pname, path := range targetPaths {
		t.Run(pname, func(t *testing.T) {
			up := newRawUpstream(t, nil)
			fe := path.serve(t, newTestProxy(t, up.URL()+"/api%2Fv1/?tenant=a;b", "", 0))
			const sent = "/x%2F;y?q=%zz;r"
			if res, _ := roundTripRaw(t, fe.Addr, path.request(sent)); res.code != 200 {
				t.Fatalf("answered %d", res.code)
			}
			if got, want := up.requests()[0].target, "/api%2Fv1/x%2F;y?tenant=a;b&q=%zz;r"; got != want {
				t.Errorf("upstream got %q, want %q", got, want)
			}
		})
	}
}

// FuzzTargetForwarded sends arbitrary request targets through the own
// server and through a plain net/http server, each to an upstream that
// answers with the target it read: whatever the proxy forwards (it
// answers 200), the upstream must have received exactly what the client
// sent.
func FuzzTargetForwarded(f *testing.F) {
	for _, s := range []string{"/", "/search?filter=a;b&page=2", "/a%zz?x=%zz", "/a#b", "//x", "/a%2Fb", "/?", "/%", "/a b", "*", "http://h/x?y"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	up := newRawUpstream(f, func(w io.Writer, r rawReq, _ int) bool {
		_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+itoa(len(r.target))+"\r\n\r\n"+r.target)
		return true
	})
	p := newTestProxyWith(f, Options{Release: "fuzz", Logger: quietLogger()}, up.URL(), "", 0)
	fes := map[bool]*frontend{false: front(f, p), true: frontStd(f, p)}
	f.Fuzz(func(t *testing.T, target string, netHTTP bool) {
		conn, err := net.DialTimeout("tcp", fes[netHTTP].Addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("target %q: no response: %v", target, err)
		}
		got, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			return // refused: nothing forwarded
		}
		want := target
		if !strings.HasPrefix(target, "/") {
			want = originForm(target) // an absolute-form target's path and query
		}
		if string(got) != want {
			t.Fatalf("client sent %q, upstream got %q", target, got)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
