//go:build !unix

package proxy

import (
	"net"
	"syscall"
	"time"
)

// peerClosed cannot tell without a peek; the client's absence shows when
// the response is written.
func peerClosed(syscall.RawConn) bool { return false }

// rawIO is the connection itself where raw system calls are not used.
type rawIO struct {
	nc  net.Conn
	raw syscall.RawConn
}

func (x *rawIO) init(nc net.Conn) {
	x.nc = nc
	if sc, ok := nc.(syscall.Conn); ok {
		x.raw, _ = sc.SyscallConn()
	}
}

// Read is nc.Read.
func (x *rawIO) Read(b []byte) (int, error) { return x.nc.Read(b) } //nolint:wrapcheck // io.Reader

// Write is nc.Write.
func (x *rawIO) Write(b []byte) (int, error) { return x.nc.Write(b) } //nolint:wrapcheck // io.Writer

// sendAndWait writes b; the caller's read waits for the response.
func sendAndWait(up *upConn, b []byte) (waitErr, err error) {
	_, err = up.io.Write(b)
	return nil, err
}

// idleUnclean cannot tell without a peek; put checks what was buffered.
func idleUnclean(syscall.RawConn) bool { return false }

// tryWrite writes b, waiting at most a moment.
func (x *rawIO) tryWrite(b []byte) {
	_ = x.nc.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	_, _ = x.nc.Write(b)
}
