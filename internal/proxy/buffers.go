package proxy

import (
	"net/http/httputil"
	"sync"
)

// bufferSize matches io.Copy's default buffer.
const bufferSize = 32 << 10

// bufferPool lends copy buffers to ReverseProxy so that forwarding a body
// allocates nothing. Buffers are stored as array pointers: converting a
// returned slice back to *[bufferSize]byte is free, where storing the slice
// itself in a sync.Pool would allocate on every Put.
type bufferPool struct {
	pool sync.Pool
}

var _ httputil.BufferPool = (*bufferPool)(nil)

func (b *bufferPool) Get() []byte {
	if buf, ok := b.pool.Get().(*[bufferSize]byte); ok {
		return buf[:]
	}
	return new([bufferSize]byte)[:]
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) < bufferSize {
		return
	}
	b.pool.Put((*[bufferSize]byte)(buf[:bufferSize]))
}
