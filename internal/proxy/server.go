package proxy

import (
	"log/slog"
	"net/http"
	"time"
)

// Server timeouts of NewServer. Reading a request's headers is bounded so
// idle or slow clients cannot hold connections forever; reading bodies and
// writing responses are not, so uploads and streams of any length pass.
const (
	ServerReadHeaderTimeout = 10 * time.Second
	ServerIdleTimeout       = 2 * time.Minute
)

// NewServer returns an http.Server that serves the proxy over HTTP/1.1 and
// HTTP/2 cleartext (h2c with prior knowledge), so clients and sidecars that
// speak HTTP/2 without TLS, gRPC ones included, can use the local data
// plane. Serve it on a listener; Shutdown drains requests in flight; then
// call CloseIdleConnections.
func (p *Proxy) NewServer() *http.Server {
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           p,
		Protocols:         &protos,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		IdleTimeout:       ServerIdleTimeout,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
}
