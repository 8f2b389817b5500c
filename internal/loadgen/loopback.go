package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// loopbackOnly refuses every request, redirects included, whose host is
// not loopback, whatever client the caller brought.
type loopbackOnly struct {
	next http.RoundTripper
}

var _ http.RoundTripper = (*loopbackOnly)(nil)

func (l *loopbackOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isLoopbackHost(req.URL.Hostname()) {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("loadgen: refusing request to non-loopback host %q", req.URL.Hostname())
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return resp, nil
}

// loopbackClient wraps c (or a default client) so it can only reach
// loopback. The caller's client is copied, not changed.
func loopbackClient(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{Transport: &loopbackOnly{next: loopbackTransport()}}
	}
	cp := *c
	next := cp.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	cp.Transport = &loopbackOnly{next: next}
	return &cp
}

// loopbackTransport is the default transport: no proxy, and a dialer that
// checks the address it actually connects to, so a "localhost" that
// resolves elsewhere is refused too.
func loopbackTransport() *http.Transport {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("loadgen: dial %s: %w", address, err)
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("loadgen: refusing to dial non-loopback address %s", address)
			}
			return nil
		},
	}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        MaxConcurrency,
		MaxIdleConnsPerHost: MaxConcurrency,
		IdleConnTimeout:     30 * time.Second,
	}
}
