package proxy

import (
	"net"
	"sync"
)

// The proxy's own server hands every connection it does not serve itself
// to an http.Server, at a request boundary: handoffListener is that
// server's listener, and a gateConn (gate.go) replays the bytes already
// read and screens every later head.

// handoffListener is a net.Listener whose Accept returns the connections
// handed to it.
type handoffListener struct {
	addr      net.Addr
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

var _ net.Listener = (*handoffListener)(nil)

func newHandoffListener() *handoffListener {
	return &handoffListener{
		addr:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)},
		conns: make(chan net.Conn),
		done:  make(chan struct{}),
	}
}

// Accept returns the next connection handed over.
func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and deliver fail from now on.
func (l *handoffListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder: the connections come from the real listeners.
func (l *handoffListener) Addr() net.Addr { return l.addr }

// deliver hands c to the server; false when the listener is closed, and
// c is then still the caller's.
func (l *handoffListener) deliver(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}
