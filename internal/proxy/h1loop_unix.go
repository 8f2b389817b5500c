//go:build unix

package proxy

import (
	"io"
	"os"
	"syscall"
)

// clientLoop runs a client connection's whole request loop inside one
// read callback of its socket (syscall.RawConn.Read), so that the poller's
// readiness is kept from one request to the next. Go's own reads cannot
// keep it: each resets it first, and so must try a read, which after a
// response almost always finds nothing yet (EAGAIN) — a wasted system call
// per request. Here a read that came back short means the socket was
// empty, so the next wait goes straight to the poller, which wakes it for
// anything that arrived since.
type clientLoop struct {
	fd      uintptr
	in      bool // running inside the callback: reads are raw and do not wait
	drained bool // the last read was short: the socket was empty then
	result  step // how the loop ended
	fn      func(uintptr) bool
}

// serveReady serves the connection from its read callback, and reports
// whether it did; false when the connection has no raw access, and the
// caller serves it with plain reads.
func (c *h1conn) serveReady() bool {
	if c.io.raw == nil {
		return false
	}
	c.loop.fn, c.loop.result = c.onReadable, stepEnd
	_ = c.io.raw.Read(c.loop.fn) // a closed connection: stepEnd
	c.loop.in = false
	if c.loop.result == stepHandoff {
		c.handed = c.handoff()
	}
	return true
}

// onReadable is the callback: it serves requests until one needs more of
// the client's bytes than have come (false: wait for them), or the
// connection ends.
func (c *h1conn) onReadable(fd uintptr) bool {
	c.loop.fd, c.loop.in = fd, true
	for {
		switch st := c.next(); st {
		case stepNext:
		case stepWait:
			return false
		default:
			c.loop.result = st
			return true
		}
	}
}

// read reads the client's bytes into b. Inside the callback it never
// waits: errWait asks the callback to.
func (c *h1conn) read(b []byte) (int, error) {
	l := &c.loop
	if !l.in {
		return c.io.Read(b)
	}
	if l.drained {
		l.drained = false
		return 0, errWait
	}
	for {
		n, errno := rawSyscallIO(syscall.SYS_READ, l.fd, b)
		switch errno {
		case 0:
			if n == 0 {
				return 0, io.EOF
			}
			l.drained = n < len(b)
			return n, nil
		case syscall.EINTR:
		case syscall.EAGAIN:
			return 0, errWait
		default:
			return 0, &os.SyscallError{Syscall: "read", Err: errno}
		}
	}
}

// shutdown ends the connection for both sides without closing its
// descriptor, which would wait for the connection's goroutine to leave its
// read callback — possibly the whole of a slow response. The goroutine
// wakes, sees the end and closes it.
func (x *rawIO) shutdown() {
	if x.raw == nil || x.raw.Control(func(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }) != nil {
		_ = x.nc.Close()
	}
}
