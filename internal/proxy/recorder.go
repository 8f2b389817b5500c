package proxy

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// recorder remembers the status a response was sent with, so the proxy can
// count it for the version that served it. It passes Flush and Hijack
// through, so streaming and WebSocket upgrades work as without it.
type recorder struct {
	http.ResponseWriter
	code     int
	hijacked bool
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

func getRecorder(w http.ResponseWriter) *recorder {
	rec := recorders.Get().(*recorder)
	rec.ResponseWriter = w
	return rec
}

func putRecorder(rec *recorder) {
	*rec = recorder{}
	recorders.Put(rec)
}

// WriteHeader records the first final status; 1xx informational responses
// (100 Continue, 103 Early Hints) may precede it.
func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 && code >= 200 {
		rec.code = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.ResponseWriter.Write(b) //nolint:wrapcheck // a transparent writer returns the server's errors unchanged
}

// FlushError flushes buffered data to the client, which also sends the
// headers, so an unset status becomes 200 as it would on the wire.
func (rec *recorder) FlushError() error {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return http.NewResponseController(rec.ResponseWriter).Flush() //nolint:wrapcheck // as Write
}

// Flush is FlushError for callers that only know http.Flusher.
func (rec *recorder) Flush() { _ = rec.FlushError() }

// Hijack is used by ReverseProxy only to switch protocols; the response is
// then 101 Switching Protocols, written by ReverseProxy on the raw
// connection.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil {
		if g, ok := conn.(*gateConn); ok {
			g.hijacked() // no HTTP/1.1 head follows: the gate lets all through
		}
		rec.hijacked = true
		if rec.code == 0 {
			rec.code = http.StatusSwitchingProtocols
		}
	}
	return conn, brw, err //nolint:wrapcheck // as Write
}

// Unwrap lets http.ResponseController reach the server's writer for
// anything recorder does not implement.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
