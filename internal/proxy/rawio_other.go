//go:build !unix

package proxy

import "syscall"

// peerClosed cannot tell without a peek; the client's absence shows when
// the response is written.
func peerClosed(syscall.RawConn) bool { return false }

// sendAndWait writes b; the caller's read waits for the response.
func sendAndWait(up *upConn, b []byte) (waitErr, err error) {
	_, err = up.nc.Write(b)
	return nil, err //nolint:wrapcheck // wrapped by the caller
}
