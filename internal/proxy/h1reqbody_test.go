package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestOwnServerRetriesOnlyReplayable: the stable upstream takes each
// request and drops the connection without an answer. A GET, or a POST
// with an Idempotency-Key, is sent again to the canary; a plain POST is
// not — it may have been acted on — and is answered 502.
func TestOwnServerRetriesOnlyReplayable(t *testing.T) {
	broken := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
	})
	var canaryPosts atomic.Int32
	canary := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			canaryPosts.Add(1)
		}
		_, _ = io.WriteString(w, "canary")
	})
	tests := map[string]struct {
		send        string
		want        expect
		canaryPosts int32
	}{
		"GET is sent again": {
			send: "GET /g HTTP/1.1\r\nHost: h\r\n\r\n",
			want: expect{code: 200, body: "canary"},
		},
		"POST with an Idempotency-Key is sent again": {
			send:        "POST /p HTTP/1.1\r\nHost: h\r\nIdempotency-Key: k1\r\nContent-Length: 2\r\n\r\nhi",
			want:        expect{code: 200, body: "canary"},
			canaryPosts: 1,
		},
		"POST is not": {
			send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
			want: expect{code: http.StatusBadGateway},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			canaryPosts.Store(0)
			p := newTestProxyWith(t, Options{Release: "test", OutlierConsecutiveErrors: 100}, broken.URL, canary.URL, 0)
			fe := front(t, p)
			conn, br := dialRaw(t, fe.Addr)
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			checkResponse(t, br, 0, tc.want)
			if got := canaryPosts.Load(); got != tc.canaryPosts {
				t.Errorf("the canary got %d POSTs, want %d", got, tc.canaryPosts)
			}
			if got := fe.srv.handoffs.Load(); got != 0 {
				t.Errorf("%d connections handed to net/http, want 0", got)
			}
		})
	}
}

// TestOwnServerPostOnAStaleConnection: the upstream closes idle
// keep-alive connections quickly. A POST, which is never sent twice, must
// not be sent on a pooled connection the upstream has closed: it gets a
// live one and succeeds.
func TestOwnServerPostOnAStaleConnection(t *testing.T) {
	var posts atomic.Int32
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		_, _ = io.WriteString(w, r.Method+" "+string(b))
	}))
	up.Config.IdleTimeout = 50 * time.Millisecond
	up.Start()
	t.Cleanup(up.Close)
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	conn, br := dialRaw(t, fe.Addr)
	for i, body := range []string{"one", "two", "three"} {
		req := "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		checkResponse(t, br, i, expect{code: 200, body: "POST " + body})
		time.Sleep(200 * time.Millisecond) // the upstream closes the idle connection
	}
	if got := posts.Load(); got != 3 {
		t.Errorf("the upstream got %d POSTs, want 3", got)
	}
}
