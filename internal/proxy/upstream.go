package proxy

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// connPool keeps idle HTTP/1.1 keep-alive connections to one upstream
// address for the fast path (fastpath.go). Unlike http.Transport, whose two
// goroutines per connection hand every request and response over channels,
// a request here is written and its response read by the handler's own
// goroutine: no goroutine switch, no channel, no per-request timer.
//
// The pool is a stack: the connection used last is used next, so under low
// load a few warm connections serve everything and the rest age out.
type connPool struct {
	addr        string
	dialer      *net.Dialer
	maxIdle     int
	idleTimeout time.Duration

	mu   sync.Mutex
	idle []*upConn
}

// upConn is one upstream connection with its buffers.
type upConn struct {
	nc        net.Conn
	io        rawIO // reads and writes nc
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
	reused    bool
	stopWatch func() bool // ends the client-cancellation watch of the request
}

// connBufferSize is the read and write buffer of an upstream connection:
// enough for the headers of nearly every request and response.
const connBufferSize = 4 << 10

func newConnPool(addr string, o Options) *connPool {
	return &connPool{
		addr:        addr,
		dialer:      &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second},
		maxIdle:     o.MaxIdleConnsPerHost,
		idleTimeout: o.IdleConnTimeout,
	}
}

// get returns an idle connection, or dials a new one. A dial failure is a
// *net.OpError with Op "dial", which tells the caller nothing was sent.
//
// An idle connection with anything to read, or closed by the upstream, is
// closed, never used: whatever it holds was not asked for (a second
// response, a 408 sent before an idle close), and read after the next
// request it would be taken for that request's response and given to its
// client, as nginx and Go's Transport also guard against.
func (cp *connPool) get(ctx context.Context) (*upConn, error) {
	for {
		cp.mu.Lock()
		if len(cp.idle) == 0 {
			cp.mu.Unlock()
			break
		}
		c := cp.idle[len(cp.idle)-1]
		cp.idle[len(cp.idle)-1] = nil
		cp.idle = cp.idle[:len(cp.idle)-1]
		cp.mu.Unlock()
		if (cp.idleTimeout > 0 && time.Since(c.idleSince) > cp.idleTimeout) || idleUnclean(c.io.raw) {
			c.close()
			continue
		}
		c.reused = true
		return c, nil
	}
	nc, err := cp.dialer.DialContext(ctx, "tcp", cp.addr)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", cp.addr, err)
	}
	c := &upConn{nc: nc}
	c.io.init(nc)
	c.br, c.bw = bufio.NewReaderSize(&c.io, connBufferSize), bufio.NewWriterSize(&c.io, connBufferSize)
	return c, nil
}

// put returns a connection whose last response was read to its end. It is
// closed instead when the pool is full or closed, or when the upstream
// sent more than that response (the bytes are already buffered). The
// oldest idle connection is closed once it has been idle too long, so a
// burst's extra connections do not linger.
func (cp *connPool) put(c *upConn) {
	c.idleSince = time.Now()
	c.stopWatch = nil
	if c.br.Buffered() > 0 {
		c.close()
		return
	}
	var expired *upConn
	cp.mu.Lock()
	if len(cp.idle) >= cp.maxIdle {
		cp.mu.Unlock()
		c.close()
		return
	}
	if len(cp.idle) > 0 && cp.idleTimeout > 0 && c.idleSince.Sub(cp.idle[0].idleSince) > cp.idleTimeout {
		expired = cp.idle[0]
		copy(cp.idle, cp.idle[1:])
		cp.idle[len(cp.idle)-1] = nil
		cp.idle = cp.idle[:len(cp.idle)-1]
	}
	cp.idle = append(cp.idle, c)
	cp.mu.Unlock()
	if expired != nil {
		expired.close()
	}
}

// closeIdle closes every idle connection. The pool stays usable.
func (cp *connPool) closeIdle() {
	cp.mu.Lock()
	idle := cp.idle
	cp.idle = nil
	cp.mu.Unlock()
	closeAll(idle)
}

func (c *upConn) close() {
	if c.stopWatch != nil {
		c.stopWatch()
		c.stopWatch = nil
	}
	_ = c.nc.Close()
}

func closeAll(cs []*upConn) {
	for _, c := range cs {
		c.close()
	}
}

// pools shares one connPool per upstream address between routes, so a
// weight change keeps its warm connections.
type pools struct {
	mu sync.Mutex
	m  map[string]*connPool
}

func (ps *pools) get(addr string, o Options) *connPool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = make(map[string]*connPool)
	}
	cp, ok := ps.m[addr]
	if !ok {
		cp = newConnPool(addr, o)
		ps.m[addr] = cp
	}
	return cp
}

func (ps *pools) closeIdle() {
	ps.mu.Lock()
	all := make([]*connPool, 0, len(ps.m))
	for _, cp := range ps.m {
		all = append(all, cp)
	}
	ps.mu.Unlock()
	for _, cp := range all {
		cp.closeIdle()
	}
}
