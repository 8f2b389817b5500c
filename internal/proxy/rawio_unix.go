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

// sendAndWait writes the request b to the upstream and waits until the
// response can be read, without the read that Go's netpoller would try
// first: that read would almost always find nothing yet (EAGAIN) and cost
// a system call per request. It relies on a property of the poller: the
// readiness it waits for is reset before the callback runs, so anything the
// upstream sends after the write wakes the wait. waitErr is the wait's
// failure (a deadline set by the watch, a closed connection); err a
// failure to write.
func sendAndWait(up *upConn, b []byte) (waitErr, err error) {
	if up.raw == nil || up.br.Buffered() > 0 {
		if _, err := up.nc.Write(b); err != nil {
			return nil, err //nolint:wrapcheck // wrapped by the caller
		}
		return nil, nil
	}
	sent, first := 0, true
	waitErr = up.raw.Read(func(fd uintptr) bool {
		if !first {
			return true // readable: the caller reads
		}
		first = false
		for sent < len(b) {
			n, werr := syscall.Write(int(fd), b[sent:])
			if n > 0 {
				sent += n
			}
			switch {
			case werr == nil:
			case errors.Is(werr, syscall.EINTR):
			case errors.Is(werr, syscall.EAGAIN):
				return true // the rest is written below
			default:
				err = werr
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	if sent < len(b) {
		if _, err := up.nc.Write(b[sent:]); err != nil {
			return nil, err //nolint:wrapcheck // wrapped by the caller
		}
		return nil, nil
	}
	return waitErr, nil //nolint:wrapcheck // wrapped by the caller
}
