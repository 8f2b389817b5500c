//go:build unix

package proxy

import (
	"errors"
	"syscall"
)

// peerClosed reports whether the client behind raw has closed or reset its
// connection, without consuming anything it sent: a non-blocking peek of
// one byte returns 0 bytes at end of stream, and an error other than
// EAGAIN when the connection broke. Unsent data means the client is there.
func peerClosed(raw syscall.RawConn) bool {
	if raw == nil {
		return false
	}
	closed := false
	err := raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		default:
			closed = true
		}
	})
	return err != nil || closed
}
