package hooks

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"sluice.dev/sluice/internal/netguard"
)

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

// refuseLinkLocal is a dialer's Control: netguard's check, with what to do
// about it.
func refuseLinkLocal(network, address string, c syscall.RawConn) error {
	if err := netguard.Control(network, address, c); err != nil {
		return fmt.Errorf("webhook %w; start the controller with --allow-link-local-webhooks to call it", err)
	}
	return nil
}
