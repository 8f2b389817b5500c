package envtest

import (
	"fmt"
	"net"
	"sync"
)

// freeAddr returns a 127.0.0.1 address with a port nobody listened on a
// moment ago, for servers that must be told their port before they start.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("releasing port %s: %w", addr, err)
	}
	return addr, nil
}

// tailBuffer keeps the last max bytes a child process wrote, safe for the
// concurrent writes of its stdout and stderr, to show when a test fails.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
