package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoBackend answers with the method, path and body it got, and behaves
// specially on a few paths, to exercise every way a response can be framed.
func echoBackend(t *testing.T, seen *pathLog) string {
	t.Helper()
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		seen.add(r.URL.Path)
		w.Header().Set("X-Echo", "1")
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/chunked":
			_, _ = io.WriteString(w, "part1,")
			_ = http.NewResponseController(w).Flush()
			_, _ = io.WriteString(w, "part2")
			return
		case "/close":
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nX-Framing: close\r\n\r\nuntil the end")
			_ = brw.Flush()
			_ = conn.Close()
			return
		case "/bighead":
			w.Header().Set("X-Big", strings.Repeat("b", 6000))
		case "/big":
			_, _ = io.WriteString(w, strings.Repeat("0123456789abcdef", 1<<16))
			return
		}
		w.Header().Set("X-Hop", "no")
		w.Header().Set("Connection", "X-Hop")
		_, _ = fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	})
	return up.URL
}

// pathLog records the paths an upstream served.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *pathLog) add(p string) {
	l.mu.Lock()
	l.paths = append(l.paths, p)
	l.mu.Unlock()
}

func (l *pathLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.paths...)
}

func (l *pathLog) has(p string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, q := range l.paths {
		if q == p {
			return true
		}
	}
	return false
}

// expect is one response a raw client expects.
type expect struct {
	method string // of the request, for HEAD
	code   int
	body   string
	header map[string]string // "" means absent
	close  bool              // the response says the connection closes
}

// TestOwnServerRaw sends raw bytes on one connection and reads every
// response, checking framing, keep-alive, pipelining and which server
// answered (handoffs).
func TestOwnServerRaw(t *testing.T) {
	seen := &pathLog{}
	upURL := echoBackend(t, seen)
	const host = "Host: shop.example\r\n"
	tests := map[string]struct {
		send     string
		want     []expect
		closed   bool // the proxy closes the connection after the responses
		handoffs uint64
	}{
		"GET": {
			send: "GET /a?x=1 HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "GET /a?x=1 ", header: map[string]string{VersionHeader: "stable", "X-Hop": "", "Connection": ""}}},
		},
		"pipelined, in order": {
			send: "GET /1 HTTP/1.1\r\n" + host + "\r\nHEAD /2 HTTP/1.1\r\n" + host + "\r\nGET /3 HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "GET /1 "}, {method: "HEAD", code: 200}, {code: 200, body: "GET /3 "}},
		},
		"HTTP/1.0 closes": {
			send:   "GET /old HTTP/1.0\r\n\r\n",
			want:   []expect{{code: 200, body: "GET /old ", close: true}},
			closed: true,
		},
		"HTTP/1.0 keep-alive": {
			send: "GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			want: []expect{
				{code: 200, body: "GET /k1 ", header: map[string]string{"Connection": "keep-alive"}},
				{code: 200, body: "GET /k2 ", header: map[string]string{"Connection": "keep-alive"}},
			},
		},
		"Connection: close": {
			send:   "GET /c HTTP/1.1\r\n" + host + "Connection: close\r\n\r\nGET /never HTTP/1.1\r\n" + host + "\r\n",
			want:   []expect{{code: 200, body: "GET /c ", close: true}},
			closed: true,
		},
		"chunked upstream, 1.1 client": {
			send: "GET /chunked HTTP/1.1\r\n" + host + "\r\nGET /after HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "part1,part2", header: map[string]string{"Transfer-Encoding": ""}}, {code: 200, body: "GET /after "}},
		},
		"chunked upstream, 1.0 client": {
			send:   "GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			want:   []expect{{code: 200, body: "part1,part2", close: true}},
			closed: true,
		},
		"close-delimited upstream, re-chunked": {
			send: "GET /close HTTP/1.1\r\n" + host + "\r\nGET /after HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "until the end", header: map[string]string{"X-Framing": "close"}}, {code: 200, body: "GET /after "}},
		},
		"response head larger than the upstream buffer": {
			send: "GET /bighead HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "GET /bighead ", header: map[string]string{"X-Big": strings.Repeat("b", 6000)}}},
		},
		"request head larger than the own buffer": {
			send:     "GET /bigreq HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("q", 20000) + "\r\n\r\n",
			want:     []expect{{code: 200, body: "GET /bigreq "}},
			handoffs: 1,
		},
		"POST with a body, then GET": {
			send: "POST /p HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello" + "GET /g HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "POST /p hello"}, {code: 200, body: "GET /g "}},
		},
		"PUT, DELETE and an empty POST": {
			send: "PUT /u HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\nabc" + "DELETE /d HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n" +
				"POST /e HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "PUT /u abc"}, {code: 200, body: "DELETE /d "}, {code: 200, body: "POST /e "}},
		},
		"POST with Expect: 100-continue on net/http": {
			send:     "POST /x HTTP/1.1\r\n" + host + "Content-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
			want:     []expect{{code: 100}, {code: 200, body: "POST /x hi"}},
			handoffs: 1,
		},
		"GET after GET, then chunked POST, then GET": {
			send: "GET /g HTTP/1.1\r\n" + host + "\r\nPOST /p HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" +
				"GET /h HTTP/1.1\r\n" + host + "\r\n",
			want: []expect{{code: 200, body: "GET /g "}, {code: 200, body: "POST /p abcde"}, {code: 200, body: "GET /h "}},
		},
		"chunked with an extension on net/http": {
			send:     "POST /p HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\n\r\n",
			want:     []expect{{code: 200, body: "POST /p abc"}},
			handoffs: 1,
		},
		"chunked with a trailer on net/http": {
			send:     "POST /p HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
			want:     []expect{{code: 200, body: "POST /p abc"}},
			handoffs: 1,
		},
		"gzip, chunked on net/http": {
			send:     "POST /p HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			want:     []expect{{code: 501, close: true}},
			closed:   true,
			handoffs: 1,
		},
		"malformed: space in a name": {
			send:     "GET / HTTP/1.1\r\n" + host + "X A: b\r\n\r\n",
			want:     []expect{{code: 400, close: true}},
			closed:   true,
			handoffs: 1,
		},
		"malformed: two Hosts": {
			send:     "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
			want:     []expect{{code: 400, close: true}},
			closed:   true,
			handoffs: 1,
		},
		"malformed: two lengths, refused by the screen": {
			send:   "POST /p HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
			want:   []expect{{code: 400, close: true}},
			closed: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, upURL, "", 0)
			fe := front(t, p)
			conn, br := dialRaw(t, fe.Addr)
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				checkResponse(t, br, i, want)
			}
			if tc.closed {
				if n, err := br.ReadByte(); err == nil {
					t.Errorf("connection still open: read %q", n)
				}
			}
			if got := fe.srv.handoffs.Load(); got != tc.handoffs {
				t.Errorf("%d connections handed to net/http, want %d", got, tc.handoffs)
			}
			if seen.has("/never") {
				t.Error("a request after Connection: close was forwarded")
			}
		})
	}
}

// TestOwnServerLargeBody checks a 1 MiB body arrives whole, twice on one
// connection.
func TestOwnServerLargeBody(t *testing.T) {
	p := newTestProxy(t, echoBackend(t, &pathLog{}), "", 0)
	fe := front(t, p)
	c := client()
	want := strings.Repeat("0123456789abcdef", 1<<16)
	for range 2 {
		res, err := c.Get(fe.URL + "/big")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || !bytes.Equal(body, []byte(want)) {
			t.Fatalf("%d bytes, err %v; want %d bytes intact", len(body), err, len(want))
		}
	}
	if fe.srv.handoffs.Load() != 0 {
		t.Errorf("handed off %d connections", fe.srv.handoffs.Load())
	}
}

// TestOwnServerTimeouts: a client that sends half a head, or nothing after
// a response, is disconnected when the read-header or idle timeout ends.
func TestOwnServerTimeouts(t *testing.T) {
	p := newTestProxy(t, echoBackend(t, &pathLog{}), "", 0)
	srv := p.NewServer()
	srv.readHeaderTimeout, srv.idleTimeout = 200*time.Millisecond, 400*time.Millisecond
	fe := frontWith(t, srv)
	tests := map[string]struct {
		send     string
		min, max time.Duration
	}{
		"half a head":               {send: "GET / HTTP/1.1\r\nHost: h\r\n", min: 150 * time.Millisecond, max: 2 * time.Second},
		"nothing":                   {send: "", min: 150 * time.Millisecond, max: 2 * time.Second},
		"idle after a response":     {send: "GET / HTTP/1.1\r\nHost: h\r\n\r\n", min: 350 * time.Millisecond, max: 2 * time.Second},
		"half a head after another": {send: "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\n", min: 150 * time.Millisecond, max: 2 * time.Second},
		"half a body":               {send: "POST /half HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhe", min: 150 * time.Millisecond, max: 2 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			conn, _ := dialRaw(t, fe.Addr)
			start := time.Now()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.Copy(io.Discard, conn)
			d := time.Since(start)
			if err != nil || d < tc.min || d > tc.max {
				t.Errorf("closed after %v (err %v), want between %v and %v", d, err, tc.min, tc.max)
			}
		})
	}
}

// TestOwnServerShutdown: Shutdown closes idle connections at once, waits
// for a request in flight, which completes, and then Serve returns.
func TestOwnServerShutdown(t *testing.T) {
	release := make(chan struct{})
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	p := newTestProxy(t, up.URL, "", 0)
	srv := p.NewServer()
	ln, served := serveOn(t, srv)

	idle, idleBR := dialRaw(t, ln.Addr().String())
	_, _ = io.WriteString(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if res, err := http.ReadResponse(idleBR, nil); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
	busy, busyBR := dialRaw(t, ln.Addr().String())
	_, _ = io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	if !waitFor(3*time.Second, func() bool { n, _ := p.InFlight(); return n == 1 }) {
		t.Fatal("slow request never reached the proxy")
	}

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	_ = idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := idleBR.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: %v, want it closed (EOF)", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned while a request was in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	res, err := http.ReadResponse(busyBR, nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(body) != "done" || !res.Close {
		t.Errorf("in-flight request: %q, close=%v; want done, Connection: close", body, res.Close)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	p.CloseIdleConnections()
}

// checkResponse reads response i from br and checks it against want.
func checkResponse(t *testing.T, br *bufio.Reader, i int, want expect) {
	t.Helper()
	req := &http.Request{Method: want.method}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	res, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("response %d: %v", i, err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatalf("response %d body: %v", i, err)
	}
	if res.StatusCode != want.code || (want.code == 200 && string(body) != want.body) || res.Close != want.close {
		t.Errorf("response %d: %d %q close=%v, want %d %q close=%v", i, res.StatusCode, body, res.Close, want.code, want.body, want.close)
	}
	for k, v := range want.header {
		if got := res.Header.Get(k); got != v {
			t.Errorf("response %d: %s %q, want %q", i, k, truncate(got), truncate(v))
		}
	}
}

func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	return conn, bufio.NewReader(conn)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
