package netguard

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// metadataAddrs are instance-metadata addresses outside the link-local
// ranges (AWS's IPv6 endpoint).
var metadataAddrs = []netip.Addr{netip.MustParseAddr("fd00:ec2::254")}

// Control is a net.Dialer Control that refuses link-local addresses
// (169.254.0.0/16, fe80::/10) and known metadata addresses. It runs before
// each connection, on the address dialled: a name that resolves there, or
// a redirect to one, is refused too.
func Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip = ip.Unmap()
	for _, m := range metadataAddrs {
		if ip == m {
			return fmt.Errorf("refusing to dial %s: it is an instance-metadata address", ip)
		}
	}
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return fmt.Errorf("refusing to dial %s: it is link-local, where clouds serve instance metadata", ip)
	}
	return nil
}
