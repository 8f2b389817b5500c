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

// TestH2CStreamsBodies: an HTTP/2 request body of unknown length is
// streamed to the upstream as it comes, not read ahead, so a stream that
// waits for the upstream's answer before it sends more (gRPC's) flows.
func TestH2CStreamsBodies(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		b := make([]byte, 4)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return
		}
		_, _ = io.WriteString(w, "pong after "+string(b))
		_ = http.NewResponseController(w).Flush()
		_, _ = io.Copy(io.Discard, r.Body)
	})
	p := newTestProxy(t, up.URL, "", 0)
	fe := front(t, p)
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protos}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Timeout: 5 * time.Second, Transport: tr}

	pr, pw := io.Pipe()
	defer func() { _ = pw.Close() }()
	go func() { _, _ = io.WriteString(pw, "ping") }()
	req, _ := http.NewRequest(http.MethodPost, fe.URL+"/stream", pr)
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("no answer while the body is still open: %v", err)
	}
	defer func() { _ = res.Body.Close() }()
	b := make([]byte, len("pong after ping"))
	if _, err := io.ReadFull(res.Body, b); err != nil || string(b) != "pong after ping" {
		t.Errorf("read %q (%v), want the answer to the first bytes", b, err)
	}
}
