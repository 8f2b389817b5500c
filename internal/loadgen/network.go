package loadgen

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// metadataAddrs are instance-metadata addresses outside the link-local
// ranges (AWS's IPv6 endpoint).
var metadataAddrs = []netip.Addr{netip.MustParseAddr("fd00:ec2::254")}

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

// refuseLinkLocal is a dialer's Control: it runs before each connection.
func refuseLinkLocal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("loadgen: dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("loadgen: dial %s: %w", address, err)
	}
	ip = ip.Unmap()
	for _, m := range metadataAddrs {
		if ip == m {
			return fmt.Errorf("loadgen: refusing to dial %s, an instance-metadata address", ip)
		}
	}
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return fmt.Errorf("loadgen: refusing to dial %s: link-local, where clouds serve instance metadata", ip)
	}
	return nil
}
