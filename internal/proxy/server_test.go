package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestH2C serves the proxy with NewServer and talks HTTP/2 cleartext to it
// (prior knowledge), on both forwarders; upstreams stay HTTP/1.1.
func TestH2C(t *testing.T) {
	up := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, r.Method+" "+string(b))
	})
	p := newTestProxy(t, up.URL, up.URL, 100)
	srv := p.NewServer()
	ln, served := serveOn(t, srv)
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protos}
	c := &http.Client{Timeout: 5 * time.Second, Transport: tr}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		p.CloseIdleConnections()
	})

	for name, m := range methods {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(m.method, "http://"+ln.Addr().String()+"/", strings.NewReader(m.body))
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.ProtoMajor != 2 {
				t.Errorf("protocol %s, want HTTP/2", res.Proto)
			}
			if want := m.method + " " + m.body; res.StatusCode != http.StatusOK || string(body) != want || res.Header.Get(VersionHeader) != "canary" {
				t.Errorf("got %d %q from %q, want 200 %q from canary", res.StatusCode, body, res.Header.Get(VersionHeader), want)
			}
		})
	}
}
