package proxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Client errors are the client's: a request the proxy must refuse (a
// malformed or ambiguous head, an invalid chunked body, a limit exceeded)
// or one whose client failed while sending it (reset, or too slow) is
// answered by the proxy itself and counted here, never in a version's
// Stats and never toward an ejection. Counted against a version, a client
// could fail a healthy canary, or eject the stable version, at will.

// clientErrorCodes are the statuses the proxy refuses requests with.
var clientErrorCodes = [...]int{
	http.StatusBadRequest,
	http.StatusMethodNotAllowed,
	http.StatusRequestTimeout,
	http.StatusRequestEntityTooLarge,
	http.StatusRequestURITooLong,
	http.StatusRequestHeaderFieldsTooLarge,
}

// clientErrors counts refused requests by status.
type clientErrors struct {
	n [len(clientErrorCodes)]atomic.Uint64
}

func (ce *clientErrors) add(code int) {
	for i, c := range clientErrorCodes {
		if c == code {
			ce.n[i].Add(1)
			return
		}
	}
	ce.n[0].Add(1)
}

// ClientErrors returns, by status, the requests the proxy answered itself
// because of the client (see Limits), since it was created. None of them is
// in Stats: they say nothing about either version.
func (p *Proxy) ClientErrors() map[int]uint64 {
	out := make(map[int]uint64, len(clientErrorCodes))
	for i, c := range clientErrorCodes {
		if n := p.clientErrs.n[i].Load(); n > 0 {
			out[c] = n
		}
	}
	return out
}

// refuse answers a request the proxy will not forward on the net/http
// path, closes the connection after it, and counts it. net/http reads what
// is left of the body before it closes, which is bounded to lingerTime, so
// the client reads the answer rather than a reset (as linger does for the
// own server), and a client that stopped sending holds nothing.
func (p *Proxy) refuse(w http.ResponseWriter, code int) {
	p.clientErrs.add(code)
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(lingerTime))
	h := w.Header()
	clear(h)
	h["Connection"] = []string{"close"}
	h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(refusalBody(code)))}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, refusalBody(code))
}

// refusalBody is the short text every refusal carries.
func refusalBody(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code) + "\n"
}

// bodyErrorCode classifies the error a client's body returned while it was
// forwarded: 413 past MaxBodyBytes, 408 when the body timeout passed, else
// 400 — an invalid encoding, or a client that reset or closed its
// connection mid-body (nginx's "client prematurely closed connection").
func bodyErrorCode(err error) int {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return http.StatusRequestTimeout
	}
	return http.StatusBadRequest
}
