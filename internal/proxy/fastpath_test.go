package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// methods exercises both forwarders: GET takes the fast path, POST (with a
// body) takes http.Transport. Both must behave the same.
var methods = map[string]struct {
	method string
	body   string
}{
	"fast path (GET)":       {method: http.MethodGet},
	"transport path (POST)": {method: http.MethodPost, body: "payload"},
}

func TestPathAndQueryJoinedWithUpstreamBase(t *testing.T) {
	seen := make(chan string, 1)
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.RequestURI
	})
	tests := map[string]struct {
		base, path string
		want       string
	}{
		"no base":           {base: up.URL, path: "/a/b?x=1", want: "/a/b?x=1"},
		"root only":         {base: up.URL, path: "/", want: "/"},
		"base path":         {base: up.URL + "/api", path: "/v1/items?id=7", want: "/api/v1/items?id=7"},
		"base with slash":   {base: up.URL + "/api/", path: "/v1", want: "/api/v1"},
		"base query":        {base: up.URL + "/?tenant=a", path: "/x?y=2", want: "/x?tenant=a&y=2"},
		"escaped path":      {base: up.URL, path: "/a%2Fb/c", want: "/a%2Fb/c"},
		"semicolon kept":    {base: up.URL, path: "/q?a=1;b=2&c=%zz&d=a+b%20c", want: "/q?a=1;b=2&c=%zz&d=a+b%20c"},
		"base and raw path": {base: up.URL + "/api/?t=1", path: "/%2F/a?q=;", want: "/api/%2F/a?t=1&q=;"},
		"double slash":      {base: up.URL, path: "//a//b?x", want: "//a//b?x"},
	}
	for mname, m := range methods {
		for name, tc := range tests {
			t.Run(mname+"/"+name, func(t *testing.T) {
				p := newTestProxy(t, tc.base, "", 0)
				fe := front(t, p)
				req, _ := http.NewRequest(m.method, fe.URL+tc.path, strings.NewReader(m.body))
				if code, _ := get(t, client(), req); code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				if got := <-seen; got != tc.want {
					t.Errorf("upstream saw %q, want %q", got, tc.want)
				}
			})
		}
	}
}

func TestTrailersPassThrough(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Trailer", "X-Checksum")
		_, _ = io.WriteString(w, "body")
		_ = http.NewResponseController(w).Flush()
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set(http.TrailerPrefix+"X-Late", "unannounced")
	})
	for name, m := range methods {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, up.URL, "", 0)
			fe := front(t, p)
			req, _ := http.NewRequest(m.method, fe.URL, strings.NewReader(m.body))
			res, err := client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if string(body) != "body" {
				t.Errorf("body %q", body)
			}
			if got := res.Trailer.Get("X-Checksum"); got != "abc" {
				t.Errorf("trailer X-Checksum %q, want abc (trailers %v)", got, res.Trailer)
			}
			if got := res.Trailer.Get("X-Late"); got != "unannounced" {
				t.Errorf("trailer X-Late %q, want unannounced (trailers %v)", got, res.Trailer)
			}
		})
	}
}

func TestEarlyHintsRelayed(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		_, _ = io.WriteString(w, "page")
	})
	for name, m := range methods {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, up.URL, "", 0)
			fe := front(t, p)
			var hints atomic.Value
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				if code == http.StatusEarlyHints {
					hints.Store(h.Get("Link"))
				}
				return nil
			}}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), m.method, fe.URL, strings.NewReader(m.body))
			res, err := client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK || string(body) != "page" {
				t.Errorf("final response %d %q", res.StatusCode, body)
			}
			if got, _ := hints.Load().(string); got != "</style.css>; rel=preload" {
				t.Errorf("103 Link %q", got)
			}
			if res.Header.Get("Link") != "" {
				t.Errorf("1xx header leaked into the final response: %v", res.Header)
			}
		})
	}
}

func TestHopByHopResponseHeadersRemoved(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Public", "end-to-end")
	})
	for name, m := range methods {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, up.URL, "", 0)
			fe := front(t, p)
			req, _ := http.NewRequest(m.method, fe.URL, strings.NewReader(m.body))
			res, err := client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.Header.Get("X-Private") != "" || res.Header.Get("Keep-Alive") != "" || res.Header.Get("X-Public") != "end-to-end" {
				t.Errorf("response headers %v", res.Header)
			}
		})
	}
}

// TestHeadHasNoBody: a HEAD answer announces a length but carries no body;
// the fast path must not wait for one, and the connection stays usable.
func TestHeadHasNoBody(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1024")
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, strings.Repeat("x", 1024))
		}
	})
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	c := client()
	for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, fe.URL, nil)
		start := time.Now()
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		want := 1024
		if method == http.MethodHead {
			want = 0
		}
		if res.StatusCode != http.StatusOK || len(body) != want || res.ContentLength != 1024 {
			t.Errorf("%s: status %d, %d body bytes, Content-Length %d", method, res.StatusCode, len(body), res.ContentLength)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v", method, d)
		}
	}
}

// TestStaleKeepAliveConnectionIsReplaced: the upstream closes idle
// connections quickly; the fast path's next request must not fail on one.
func TestStaleKeepAliveConnectionIsReplaced(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(VersionHeader, "upstream-says") // replaced by the proxy's
	}))
	up.Config.IdleTimeout = 30 * time.Millisecond
	up.Start()
	t.Cleanup(up.Close)
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	c := client()
	for i := range 5 {
		if code, v := get(t, c, newReq(t, fe.URL)); code != http.StatusOK || v != "stable" {
			t.Fatalf("request %d: %d from %q", i, code, v)
		}
		time.Sleep(100 * time.Millisecond) // the upstream closes the idle connection
	}
	if s := p.Stats().Stable; s.Errors != 0 || s.Requests != 5 {
		t.Errorf("stable Requests=%d Errors=%d, want 5, 0", s.Requests, s.Errors)
	}
}

// TestClientGoneStopsWaiting: when the client gives up, the proxy stops
// waiting for the upstream at once and counts a 499, not a version error.
func TestClientGoneStopsWaiting(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if res, err := c.Get(fe.URL); err == nil {
		_ = res.Body.Close()
		t.Fatal("request succeeded; want a client timeout")
	}
	deadline := time.Now().Add(time.Second)
	for p.Stats().Stable.Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s := p.Stats().Stable
	if s.Requests != 1 || s.Errors != 0 {
		t.Errorf("stable Requests=%d Errors=%d, want 1, 0 (a 499)", s.Requests, s.Errors)
	}
	if n, _ := p.InFlight(); n != 0 {
		t.Errorf("%d requests still in flight", n)
	}
}

// TestFastPathReusesConnections: keep-alive connections to the upstream are
// reused, so concurrent clients need about as many upstream connections as
// there are requests in flight, not one per request.
func TestFastPathReusesConnections(t *testing.T) {
	var conns atomic.Int32
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 1024))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	c := client()
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if code, _ := get(t, c, newReq(t, fe.URL)); code != http.StatusOK {
					t.Errorf("status %d", code)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 2*workers {
		t.Errorf("%d upstream connections for %d requests from %d clients; want at most %d", n, workers*each, workers, 2*workers)
	}
}
