package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOwnServerTrickledRequests sends pipelined requests in small pieces,
// with pauses, so that heads are split across reads and across the waits
// of the connection's read callback (h1loop_unix.go): every request must be
// answered, in order, and a request net/http must serve must reach it with
// the bytes already read.
func TestOwnServerTrickledRequests(t *testing.T) {
	upURL := echoBackend(t, &pathLog{})
	const host = "Host: h\r\n"
	gets := "GET /1 HTTP/1.1\r\n" + host + "\r\n" + "GET /2 HTTP/1.1\r\n" + host + "X-A: b\r\n\r\n" +
		"HEAD /3 HTTP/1.1\r\n" + host + "\r\n" + "GET /4 HTTP/1.1\r\n" + host + "\r\n"
	getsWant := []expect{{code: 200, body: "GET /1 "}, {code: 200, body: "GET /2 "}, {method: "HEAD", code: 200}, {code: 200, body: "GET /4 "}}
	var burst string
	var burstWant []expect
	for i := range 150 {
		burst += fmt.Sprintf("GET /b%d HTTP/1.1\r\n%s\r\n", i, host)
		burstWant = append(burstWant, expect{code: 200, body: fmt.Sprintf("GET /b%d ", i)})
	}
	tests := map[string]struct {
		send     string
		piece    int
		pause    time.Duration
		want     []expect
		handoffs uint64
	}{
		"one byte at a time": {send: gets, piece: 1, pause: 200 * time.Microsecond, want: getsWant},
		"seven bytes":        {send: gets, piece: 7, pause: 2 * time.Millisecond, want: getsWant},
		"a head and a bit":   {send: gets, piece: 40, pause: 10 * time.Millisecond, want: getsWant},
		// More than a read buffer at once: a full read must be followed by
		// another, not by a wait for readiness that already came.
		"a burst larger than the read buffer": {send: burst, piece: len(burst), want: burstWant},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, upURL, "", 0)
			fe := front(t, p)
			conn, br := dialRaw(t, fe.Addr)
			go func() {
				for s := tc.send; len(s) > 0; {
					n := min(tc.piece, len(s))
					if _, err := io.WriteString(conn, s[:n]); err != nil {
						return
					}
					s = s[n:]
					time.Sleep(tc.pause)
				}
			}()
			for i, want := range tc.want {
				checkResponse(t, br, i, want)
			}
			if got := fe.srv.handoffs.Load(); got != tc.handoffs {
				t.Errorf("%d connections handed to net/http, want %d", got, tc.handoffs)
			}
		})
	}
}

// TestOwnServerCloseDoesNotWaitForInFlight: Close ends a connection whose
// request waits for a slow upstream at once, and the client sees it end.
// The connection's goroutine sits in the socket's read callback, so
// closing the descriptor would wait until the callback returns: here until
// the client-gone watch next looks, up to a second later, per connection.
func TestOwnServerCloseDoesNotWaitForInFlight(t *testing.T) {
	release := make(chan struct{})
	up := backend(t, "stable", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = io.WriteString(w, "late")
	})
	t.Cleanup(func() { close(release) }) // before the backend closes
	p := newTestProxy(t, up.URL, "", 0)
	srv := p.NewServer()
	ln, served := serveOn(t, srv)
	conn, br := dialRaw(t, ln.Addr().String())
	if _, err := io.WriteString(conn, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*time.Second, func() bool { n, _ := p.InFlight(); return n == 1 }) {
		t.Fatal("the request never reached the proxy")
	}
	time.Sleep(1600 * time.Millisecond) // the watch looked at 1.55 s; next at 2.55 s
	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(500 * time.Millisecond):
		t.Fatal("Close waited for the request in flight")
	}
	if _, err := br.ReadByte(); err == nil || time.Since(start) > time.Second {
		t.Errorf("client connection: read err %v after %v, want it ended at once", err, time.Since(start))
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

// TestOwnServerLateBody: a body that comes after its head, in its own
// segments, is awaited and forwarded by the own server, and the connection
// stays there; only a body over maxH1Body goes to net/http.
func TestOwnServerLateBody(t *testing.T) {
	big := strings.Repeat("b", maxH1Body)
	tests := map[string]struct {
		pieces   []string
		want     []expect
		handoffs uint64
	}{
		"a body in its own write": {
			pieces: []string{"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", "hello", "GET /g HTTP/1.1\r\nHost: h\r\n\r\n"},
			want:   []expect{{code: 200, body: "POST /p hello"}, {code: 200, body: "GET /g "}},
		},
		"after a GET, part of the body with the head": {
			pieces: []string{"GET /g HTTP/1.1\r\nHost: h\r\n\r\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhe", "l", "lo"},
			want:   []expect{{code: 200, body: "GET /g "}, {code: 200, body: "POST /p hello"}},
		},
		"the largest body, in pieces, growing the buffer": {
			pieces: append([]string{"PUT /u HTTP/1.1\r\nHost: h\r\nContent-Length: " + strconv.Itoa(maxH1Body) + "\r\n\r\n"},
				slices.Collect(chunks(big+"GET /g HTTP/1.1\r\nHost: h\r\n\r\n", 1000))...),
			want: []expect{{code: 200, body: "PUT /u " + big}, {code: 200, body: "GET /g "}},
		},
		"a chunked body, chunk by chunk": {
			pieces: []string{"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "3\r", "\nabc\r\n", "2\r\nde\r\n", "0\r\n", "\r", "\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n"},
			want:   []expect{{code: 200, body: "POST /c abcde"}, {code: 200, body: "GET /g "}},
		},
		"the largest chunked body, in pieces": {
			pieces: append([]string{"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"},
				slices.Collect(chunks("2000\r\n"+big[:8192]+"\r\n2000\r\n"+big[:8192]+"\r\n0\r\n\r\n", 1000))...),
			want: []expect{{code: 200, body: "POST /c " + big}},
		},
		"a chunked body over the limit is net/http's": {
			pieces:   []string{"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "2000\r\n" + big[:8192] + "\r\n", "2001\r\n" + big[:8192] + "!\r\n", "0\r\n\r\n"},
			want:     []expect{{code: 200, body: "POST /c " + big + "!"}},
			handoffs: 1,
		},
		"a small chunked body in too much encoding is net/http's": {
			pieces:   append([]string{"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"}, slices.Collect(chunks(strings.Repeat("1\r\nb\r\n", 7000)+"0\r\n\r\n", 6000))...),
			want:     []expect{{code: 200, body: "POST /c " + big[:7000]}},
			handoffs: 1,
		},
		"a body over the limit is net/http's": {
			pieces:   []string{"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: " + strconv.Itoa(maxH1Body+1) + "\r\n\r\n", big, "!"},
			want:     []expect{{code: 200, body: "POST /p " + big + "!"}},
			handoffs: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, echoBackend(t, &pathLog{}), "", 0)
			fe := front(t, p)
			conn, br := dialRaw(t, fe.Addr)
			go func() {
				for _, piece := range tc.pieces {
					if _, err := io.WriteString(conn, piece); err != nil {
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
			for i, want := range tc.want {
				checkResponse(t, br, i, want)
			}
			if got := fe.srv.handoffs.Load(); got != tc.handoffs {
				t.Errorf("%d connections handed to net/http, want %d", got, tc.handoffs)
			}
		})
	}
}

// chunks yields s in pieces of n bytes.
func chunks(s string, n int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// TestOwnServerShutdownAwaitsABody: a connection waiting for the rest of a
// body is not idle; Shutdown lets the request finish.
func TestOwnServerShutdownAwaitsABody(t *testing.T) {
	seen := &pathLog{}
	p := newTestProxy(t, echoBackend(t, seen), "", 0)
	srv := p.NewServer()
	ln, served := serveOn(t, srv)
	conn, br := dialRaw(t, ln.Addr().String())
	if _, err := io.WriteString(conn, "GET /g HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	checkResponse(t, br, 0, expect{code: 200, body: "GET /g "})
	if _, err := io.WriteString(conn, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhe"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*time.Second, func() bool { return phaseOf(onlyConn(t, srv).state.Load()) == phaseBody }) {
		t.Fatalf("phase %d with half a request read; want %d (reading a request body), which Shutdown waits for",
			phaseOf(onlyConn(t, srv).state.Load()), phaseBody)
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond) // Shutdown has closed what is idle
	if _, err := io.WriteString(conn, "llo"); err != nil {
		t.Fatal(err)
	}
	checkResponse(t, br, 1, expect{code: 200, body: "POST /p hello", close: true})
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	p.CloseIdleConnections()
}

// onlyConn is the server's one own connection.
func onlyConn(t *testing.T, s *Server) *h1conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		return c
	}
	return &h1conn{}
}

// TestOwnServerIdleKeepsASmallBuffer: the buffer lent for a large body goes
// back once the connection waits for its next request.
func TestOwnServerIdleKeepsASmallBuffer(t *testing.T) {
	p := newTestProxy(t, echoBackend(t, &pathLog{}), "", 0)
	fe := front(t, p)
	conn, br := dialRaw(t, fe.Addr)
	body := strings.Repeat("x", 8<<10)
	for i := range 3 {
		if _, err := io.WriteString(conn, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 8192\r\n\r\n"+body); err != nil {
			t.Fatal(err)
		}
		checkResponse(t, br, i, expect{code: 200, body: "POST /p " + body})
	}
	if !waitFor(3*time.Second, func() bool { return fe.srv.bigLent.Load() == 0 }) {
		t.Fatalf("%d body buffers still lent with the connection idle", fe.srv.bigLent.Load())
	}
	if n := fe.srv.handoffs.Load(); n != 0 {
		t.Errorf("%d handoffs", n)
	}
}

// TestOwnServerChunkedFromAGoClient: Go's client sends a body of unknown
// length chunked; the own server reads it whole and the upstream gets it
// with its length.
func TestOwnServerChunkedFromAGoClient(t *testing.T) {
	type seen struct {
		length int64
		te     []string
		body   string
	}
	got := make(chan seen, 1)
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, r.TransferEncoding, string(b)}
	})
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	pr, pw := io.Pipe()
	go func() {
		for _, s := range []string{"one ", "two ", "three"} {
			_, _ = io.WriteString(pw, s)
			time.Sleep(5 * time.Millisecond)
		}
		_ = pw.Close()
	}()
	res, err := http.Post(fe.URL+"/upload", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if s := <-got; res.StatusCode != 200 || s.length != 13 || s.te != nil || s.body != "one two three" {
		t.Errorf("status %d; upstream saw length %d, transfer encoding %q, body %q; want 13, none, %q", res.StatusCode, s.length, s.te, s.body, "one two three")
	}
	if n := fe.srv.handoffs.Load(); n != 0 {
		t.Errorf("%d handoffs", n)
	}
}

// TestOwnServerNoRouteKeepsTheBytes: a request the own server does not
// forward (here: no route yet) reaches net/http as sent, chunked body and
// all, and the request after it too.
func TestOwnServerNoRouteKeepsTheBytes(t *testing.T) {
	p := New(Options{Logger: quietLogger()})
	fe := front(t, p)
	conn, br := dialRaw(t, fe.Addr)
	if _, err := io.WriteString(conn, "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"+
		"GET /g HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		checkResponse(t, br, i, expect{code: http.StatusServiceUnavailable, body: "sluice proxy: no route configured yet\n"})
	}
	if n := fe.srv.handoffs.Load(); n != 1 {
		t.Errorf("%d handoffs, want 1", n)
	}
}

// TestOwnServerLongHeadAfterALargeBody: a connection whose last request
// lent it the large buffer reads the next head into it; a head over
// maxHeadBuffer there is still net/http's, answered, not cut off.
func TestOwnServerLongHeadAfterALargeBody(t *testing.T) {
	p := newTestProxy(t, echoBackend(t, &pathLog{}), "", 0)
	fe := front(t, p)
	conn, br := dialRaw(t, fe.Addr)
	body := strings.Repeat("x", 8<<10)
	if _, err := io.WriteString(conn, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 8192\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	checkResponse(t, br, 0, expect{code: 200, body: "POST /p " + body})
	long := "X-Long: " + strings.Repeat("l", maxHeadBuffer+14000) + "\r\n"
	if _, err := io.WriteString(conn, "POST /q HTTP/1.1\r\nHost: h\r\n"+long+"Content-Length: 8192\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	checkResponse(t, br, 1, expect{code: 200, body: "POST /q " + body})
	if n := fe.srv.handoffs.Load(); n != 1 {
		t.Errorf("%d handoffs, want 1", n)
	}
}
