//go:build unix

package proxy

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
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
		// A raw call, as in rawIO: MSG_DONTWAIT cannot block, and the
		// runtime's bookkeeping would let the scheduler hand the
		// processor off around it.
		var b [1]byte
		n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
			closed = n == 0
		case syscall.EAGAIN, syscall.EINTR:
		default:
			closed = true
		}
	})
	return err != nil || closed
}

// rawIO reads and writes one socket with read(2) and write(2) called as raw
// system calls, waiting through the runtime's poller only when the socket
// is not ready. A socket the poller owns is non-blocking, so the calls
// never block; skipping the runtime's system-call bookkeeping saves its
// cost and, more, keeps the scheduler from handing the processor to
// another thread when a loopback write runs long (a futex wake-up and a
// thread switch, each time). The callbacks are bound once per connection,
// so a read or write allocates nothing.
type rawIO struct {
	nc  net.Conn
	raw syscall.RawConn // nil: plain nc.Read and nc.Write

	// A read's and a write's buffer, progress and error during the call;
	// apart, so a read and a write may run at once.
	rb, wb         []byte
	rn, wn         int
	rerrno, werrno syscall.Errno
	first          bool // sendAndWait: the callback has not written yet
	readFn         func(uintptr) bool
	writeFn        func(uintptr) bool
	sendFn         func(uintptr) bool
}

func (x *rawIO) init(nc net.Conn) {
	x.nc = nc
	if sc, ok := nc.(syscall.Conn); ok {
		x.raw, _ = sc.SyscallConn()
	}
	if x.raw != nil && !nonBlocking(x.raw) {
		x.raw = nil // a raw read of a blocking socket would stall the scheduler
	}
	if x.raw != nil {
		x.readFn, x.writeFn, x.sendFn = x.doRead, x.doWrite, x.doSend
	}
}

// nonBlocking reports whether the socket behind raw is in non-blocking
// mode, as the poller's sockets are (unless something called File on the
// connection).
func nonBlocking(raw syscall.RawConn) bool {
	ok := false
	err := raw.Control(func(fd uintptr) {
		flags, _, errno := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		ok = errno == 0 && flags&syscall.O_NONBLOCK != 0
	})
	return err == nil && ok
}

// Read is nc.Read.
func (x *rawIO) Read(b []byte) (int, error) {
	if x.raw == nil || len(b) == 0 {
		return x.nc.Read(b) //nolint:wrapcheck // io.Reader
	}
	x.rb, x.rn, x.rerrno = b, 0, 0
	err := x.raw.Read(x.readFn)
	x.rb = nil
	switch {
	case err != nil:
		return 0, err //nolint:wrapcheck // io.Reader: the poller's error (closed, deadline)
	case x.rerrno != 0:
		return 0, &os.SyscallError{Syscall: "read", Err: x.rerrno}
	case x.rn == 0:
		return 0, io.EOF
	}
	return x.rn, nil
}

func (x *rawIO) doRead(fd uintptr) bool {
	for {
		n, errno := rawSyscallIO(syscall.SYS_READ, fd, x.rb)
		switch errno {
		case 0:
			x.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		x.rerrno = errno
		return true
	}
}

// Write is nc.Write: all of b, or an error.
func (x *rawIO) Write(b []byte) (int, error) {
	if x.raw == nil || len(b) == 0 {
		return x.nc.Write(b) //nolint:wrapcheck // io.Writer
	}
	x.wb, x.wn, x.werrno = b, 0, 0
	err := x.raw.Write(x.writeFn)
	x.wb = nil
	switch {
	case err != nil:
		return x.wn, err //nolint:wrapcheck // io.Writer: the poller's error
	case x.werrno != 0:
		return x.wn, &os.SyscallError{Syscall: "write", Err: x.werrno}
	}
	return x.wn, nil
}

// doWrite writes x.wb, returning false to wait while the socket is full.
func (x *rawIO) doWrite(fd uintptr) bool {
	for x.wn < len(x.wb) {
		n, errno := rawSyscallIO(syscall.SYS_WRITE, fd, x.wb[x.wn:])
		switch errno {
		case 0:
			x.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			x.werrno = errno
			return true
		}
	}
	return true
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
	x := &up.io
	if x.raw == nil || up.br.Buffered() > 0 {
		if _, err := x.Write(b); err != nil {
			return nil, err
		}
		return nil, nil
	}
	x.wb, x.wn, x.werrno, x.first = b, 0, 0, true
	waitErr = x.raw.Read(x.sendFn)
	x.wb = nil
	if x.werrno != 0 {
		return nil, &os.SyscallError{Syscall: "write", Err: x.werrno}
	}
	if sent := x.wn; sent < len(b) {
		if _, err := x.Write(b[sent:]); err != nil {
			return nil, err
		}
		return nil, nil
	}
	return waitErr, nil //nolint:wrapcheck // wrapped by the caller
}

// doSend is sendAndWait's callback: the first call writes what the socket
// takes and asks to wait; the next, called when the response can be read,
// ends the wait.
func (x *rawIO) doSend(fd uintptr) bool {
	if !x.first {
		return true
	}
	x.first = false
	// A full socket (EAGAIN) or an error ends the call: the rest is written
	// by Write, or the error returned.
	x.doWrite(fd)
	return x.werrno != 0 || x.wn < len(x.wb)
}

// rawSyscallIO is read(2) or write(2) of b on fd, as a raw system call.
func rawSyscallIO(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(r), 0
}

// tryWrite writes b once without waiting, as much as the socket takes:
// for a short answer written from another goroutine than the
// connection's (the sweeper's 408), which must not block.
func (x *rawIO) tryWrite(b []byte) {
	if x.raw == nil {
		_ = x.nc.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		_, _ = x.nc.Write(b)
		return
	}
	_ = x.raw.Control(func(fd uintptr) {
		_, _ = rawSyscallIO(syscall.SYS_WRITE, fd, b)
	})
}

// idleUnclean reports whether an idle upstream connection behind raw has
// anything to read — bytes it was never asked for, such as a second
// response or a 408 sent before closing — or has been closed or reset. Such
// a connection must never carry another request: its next response would
// be read as that request's, and given to whichever client sent it.
func idleUnclean(raw syscall.RawConn) bool {
	if raw == nil {
		return false
	}
	unclean := false
	err := raw.Control(func(fd uintptr) {
		var b [1]byte
		_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		unclean = errno != syscall.EAGAIN
	})
	return err != nil || unclean
}
