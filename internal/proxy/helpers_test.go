package proxy

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// backend starts a real upstream on 127.0.0.1 that answers with its name in
// the body and in the X-Backend header, unless h is given.
func backend(t testing.TB, name string, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Backend", name)
			_, _ = io.WriteString(w, name)
		}
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// frontend is a proxy served on a real listener.
type frontend struct {
	URL  string  // base URL, http://127.0.0.1:port
	Addr string  // host:port
	srv  *Server // nil for frontStd
}

// front serves p with NewServer, the proxy's own server, on a real
// listener.
func front(t testing.TB, p *Proxy) *frontend {
	t.Helper()
	return frontWith(t, p.NewServer())
}

// frontWith serves srv on a real listener.
func frontWith(t testing.TB, srv *Server) *frontend {
	t.Helper()
	p := srv.p
	ln, served := serveOn(t, srv)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		p.CloseIdleConnections()
	})
	return &frontend{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), srv: srv}
}

// serveOn serves srv on a new loopback listener; served gets what Serve
// returned. Closing the server is the test's.
func serveOn(t testing.TB, srv *Server) (net.Listener, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return ln, served
}

// frontStd serves p with a plain net/http server, the handler path alone.
func frontStd(t testing.TB, p *Proxy) *frontend {
	t.Helper()
	s := httptest.NewServer(p)
	t.Cleanup(func() {
		s.Close()
		p.CloseIdleConnections()
	})
	return &frontend{URL: s.URL, Addr: s.Listener.Addr().String()}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newTestProxy returns a proxy routed to stable and canary at weight.
func newTestProxy(t testing.TB, stableURL, canaryURL string, weight int32) *Proxy {
	t.Helper()
	return newTestProxyWith(t, Options{Release: "test"}, stableURL, canaryURL, weight)
}

// newTestProxyWith is newTestProxy with options; the logger is always quiet.
func newTestProxyWith(t testing.TB, opts Options, stableURL, canaryURL string, weight int32) *Proxy {
	t.Helper()
	opts.Logger = quietLogger()
	p := New(opts)
	r := Route{Stable: mustURL(t, stableURL), CanaryWeight: weight}
	if canaryURL != "" {
		r.Canary = mustURL(t, canaryURL)
	}
	if err := p.SetRoute(r); err != nil {
		t.Fatalf("SetRoute: %v", err)
	}
	return p
}

// client keeps connections alive and never waits long.
func client() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, Proxy: nil},
	}
}

// get sends one request and returns the status and the version that served
// it according to VersionHeader.
func get(t testing.TB, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer func() { _ = res.Body.Close() }()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return res.StatusCode, res.Header.Get(VersionHeader)
}

func newReq(t testing.TB, base string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// closedURL returns the URL of a 127.0.0.1 port nothing listens on.
func closedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}
