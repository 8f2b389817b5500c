package hooks

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

// NoLinkLocal returns an HTTP client for webhooks that refuses to connect
// to link-local addresses (169.254.0.0/16, fe80::/10) and known metadata
// addresses, where clouds serve instance credentials: on Kubernetes,
// anyone who may create a Release chooses the URLs the controller calls.
// It checks the address it dials, after DNS, so a name that resolves
// there (or a redirect to it) is refused too.
func NoLinkLocal() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: refuseLinkLocal}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = dialer.DialContext
	t.Proxy = nil // the check must see the webhook's own address
	return &http.Client{Transport: t}
}

// refuseLinkLocal is a dialer's Control: it runs before each connection.
func refuseLinkLocal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook address %q: %w", address, err)
	}
	ip = ip.Unmap()
	for _, m := range metadataAddrs {
		if ip == m {
			return fmt.Errorf("webhook address %s is an instance-metadata address; start the controller with --allow-link-local-webhooks to call it", ip)
		}
	}
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return fmt.Errorf("webhook address %s is link-local, where clouds serve instance metadata; start the controller with --allow-link-local-webhooks to call it", ip)
	}
	return nil
}
