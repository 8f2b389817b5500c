package loadgen

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"sluice.dev/sluice/internal/netguard"
)

// networkClient wraps c (or a default client) so it reaches any host but
// link-local and instance-metadata addresses: a load tester in a cluster
// sends to whatever URL a webhook's command names, and anyone who may
// create a Release (or a Canary) writes those commands. The check is on
// the address dialled, so a name that resolves there, or a redirect to
// it, is refused too. The caller's transport, if any, is replaced: only a
// transport whose dialer makes the check can keep the promise.
func networkClient(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	d := &net.Dialer{Timeout: 5 * time.Second, Control: refuseLinkLocal}
	cp.Transport = &http.Transport{
		Proxy:               nil, // the check must see the target's own address
		DialContext:         d.DialContext,
		MaxIdleConns:        MaxConcurrency,
		MaxIdleConnsPerHost: MaxConcurrency,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &cp
}

// refuseLinkLocal is a dialer's Control: netguard's check.
func refuseLinkLocal(network, address string, c syscall.RawConn) error {
	if err := netguard.Control(network, address, c); err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	return nil
}
