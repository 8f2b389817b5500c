package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestForwardingHeadersAndBody checks what reaches the upstream: body, path
// and query, X-Forwarded-*, and no hop-by-hop headers.
func TestForwardingHeadersAndBody(t *testing.T) {
	tests := map[string]struct {
		trust   bool
		method  string
		body    string
		wantXFF string
	}{
		"client chain dropped by default": {method: http.MethodPost, body: `{"qty":2}`, wantXFF: "127.0.0.1"},
		"client chain kept when trusted":  {method: http.MethodPost, body: `{"qty":2}`, trust: true, wantXFF: "203.0.113.7, 127.0.0.1"},
		"fast path, chain dropped":        {method: http.MethodGet, wantXFF: "127.0.0.1"},
		"fast path, chain kept":           {method: http.MethodGet, trust: true, wantXFF: "203.0.113.7, 127.0.0.1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			seen := make(chan *http.Request, 1)
			bodies := make(chan string, 1)
			up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				seen <- r
				bodies <- string(b)
				w.Header().Set("X-Upstream", "yes")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "made")
			})
			p := New(Options{Logger: quietLogger(), TrustForwardedFor: tc.trust})
			if err := p.SetRoute(Route{Stable: mustURL(t, up.URL)}); err != nil {
				t.Fatal(err)
			}
			fe := front(t, p)
			req, _ := http.NewRequest(tc.method, fe.URL+"/orders/7?expand=items", strings.NewReader(tc.body))
			req.Host = "shop.example"
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			req.Header.Set("Connection", "X-Hop")
			req.Header.Set("X-Hop", "must not pass")
			req.Header.Set("Te", "trailers")
			res, err := client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusCreated || string(body) != "made" || res.Header.Get("X-Upstream") != "yes" || res.Header.Get(VersionHeader) != "stable" {
				t.Errorf("response %d %q headers %v", res.StatusCode, body, res.Header)
			}
			r := <-seen
			checks := map[string][2]string{
				"method":            {r.Method, tc.method},
				"path":              {r.URL.RequestURI(), "/orders/7?expand=items"},
				"body":              {<-bodies, tc.body},
				"Host":              {r.Host, strings.TrimPrefix(up.URL, "http://")},
				"X-Forwarded-For":   {r.Header.Get("X-Forwarded-For"), tc.wantXFF},
				"X-Forwarded-Host":  {r.Header.Get("X-Forwarded-Host"), "shop.example"},
				"X-Forwarded-Proto": {r.Header.Get("X-Forwarded-Proto"), "http"},
				"X-Hop":             {r.Header.Get("X-Hop"), ""},
				"Te":                {r.Header.Get("Te"), "trailers"}, // the one hop header ReverseProxy keeps, for gRPC
			}
			for what, c := range checks {
				if c[0] != c[1] {
					t.Errorf("upstream saw %s %q, want %q", what, c[0], c[1])
				}
			}
		})
	}
}

// TestStreamingIsFlushed proves a streamed response reaches the client
// before the upstream has finished it.
func TestStreamingIsFlushed(t *testing.T) {
	release := make(chan struct{})
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		_ = http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, "data: second\n\n")
	})
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	res, err := client().Get(fe.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	br := bufio.NewReader(res.Body)
	first := make(chan string, 1)
	go func() {
		line, _ := br.ReadString('\n')
		first <- line
	}()
	select {
	case line := <-first:
		if line != "data: first\n" {
			t.Fatalf("first line %q", line)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("first event not delivered while the upstream was still streaming")
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: second") {
		t.Errorf("rest of stream %q", rest)
	}
}

// TestWebSocketUpgrade passes a protocol switch through and counts it as a
// 1xx request without timing it.
func TestWebSocketUpgrade(t *testing.T) {
	up := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			http.Error(w, "want upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo " + line)
		_ = brw.Flush()
	})
	p := newTestProxy(t, up.URL, up.URL, 100)
	fe := front(t, p)
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(fe.URL, "http://"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close() // a 101 has no body; the tunnel is br and conn
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get(VersionHeader) != "canary" {
		t.Fatalf("status %d, version %q; want 101 from canary", res.StatusCode, res.Header.Get(VersionHeader))
	}
	_, _ = io.WriteString(conn, "hello\n")
	if line, _ := br.ReadString('\n'); line != "echo hello\n" {
		t.Fatalf("through the tunnel: %q", line)
	}
	_ = conn.Close()
	// The handler returns once both directions close; wait for it, bounded.
	deadline := time.Now().Add(3 * time.Second)
	for p.Stats().Canary.Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s := p.Stats().Canary
	var timed uint64
	for _, n := range s.Buckets {
		timed += n
	}
	if s.Requests != 1 || s.Errors != 0 || timed != 0 {
		t.Errorf("canary Requests=%d Errors=%d timed=%d, want 1, 0, 0", s.Requests, s.Errors, timed)
	}
}

// TestShutdownFinishesInFlight checks that a request being served when the
// http.Server shuts down still completes.
func TestShutdownFinishesInFlight(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	})
	p := newTestProxy(t, up.URL, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := client().Get("http://" + ln.Addr().String())
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		got <- result{string(b), err}
	}()
	deadline := time.Now().Add(3 * time.Second)
	for n, _ := p.InFlight(); n == 0; n, _ = p.InFlight() {
		if time.Now().After(deadline) {
			t.Fatal("request never reached the proxy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	p.CloseIdleConnections()
	r := <-got
	if r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: body %q, err %v", r.body, r.err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

// TestUpstreamBreaksMidBody counts a response the upstream cut short as a
// 5xx for that version, though the proxy had already begun a 200 response.
func TestUpstreamBreaksMidBody(t *testing.T) {
	up := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "only a little")
		_ = http.NewResponseController(w).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	p := newTestProxy(t, up.URL, up.URL, 100)
	fe := front(t, p)
	// The client sees the connection drop, before or after the status line.
	res, err := client().Get(fe.URL)
	if err == nil {
		_, err = io.ReadAll(res.Body)
		_ = res.Body.Close()
	}
	if err == nil {
		t.Error("client read a truncated response without error")
	}
	deadline := time.Now().Add(3 * time.Second)
	for p.Stats().Canary.Requests == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := p.Stats().Canary; s.Requests != 1 || s.Errors != 1 {
		t.Errorf("canary Requests=%d Errors=%d, want 1, 1", s.Requests, s.Errors)
	}
}

// TestOneContinue sends a POST with Expect: 100-continue and reads every
// response to it. The front server answers the Expect when the proxy reads
// the body; the upstream must not be asked again, and a 100 it sends on its
// own must not reach the client as a second one.
func TestOneContinue(t *testing.T) {
	tests := map[string]struct {
		unasked100 bool // the upstream writes a 100 without being asked
	}{
		"a plain upstream":          {},
		"an upstream sending a 100": {unasked100: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var sawExpect atomic.Bool
			up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
				sawExpect.Store(r.Header.Get("Expect") != "")
				if tc.unasked100 {
					w.WriteHeader(http.StatusContinue)
				}
				body, _ := io.ReadAll(r.Body)
				_, _ = io.WriteString(w, "got "+string(body))
			})
			p := newTestProxy(t, up.URL, "", 0)
			for _, fe := range map[string]*frontend{"own server": front(t, p), "net/http server": frontStd(t, p)} {
				conn, br := dialRaw(t, fe.Addr)
				if _, err := io.WriteString(conn, "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi"); err != nil {
					t.Fatal(err)
				}
				checkResponse(t, br, 0, expect{code: http.StatusContinue})
				checkResponse(t, br, 1, expect{code: http.StatusOK, body: "got hi"})
				if sawExpect.Load() {
					t.Error("the upstream was sent Expect")
				}
			}
		})
	}
}
