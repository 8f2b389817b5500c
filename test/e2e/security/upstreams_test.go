package security

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// upstreamBehaviour answers one request read on a connection (the n-th on
// it, from 0) and reports whether to keep the connection.
type upstreamBehaviour func(c net.Conn, q upstreamReq, n int) bool

// echoBody is what an upstream that behaves answers: the request line and
// body it read, so the client's side of a case shows them too.
func echoBody(q upstreamReq) string { return q.Line + "\n" + q.Body }

// respond writes a plain response with a length and the X-Up marker, which
// tells a response from the upstream from one the proxy made itself.
func respond(c net.Conn, code int, extra, body string) {
	_, _ = fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nX-Up: 1\r\n%sContent-Length: %d\r\n\r\n%s", code, reason(code), extra, len(body), body)
}

func reason(code int) string {
	switch code {
	case 200:
		return "OK"
	case 204:
		return "No Content"
	case 304:
		return "Not Modified"
	case 408:
		return "Request Timeout"
	}
	return "Status"
}

// echo is the upstream that behaves.
func echo(c net.Conn, q upstreamReq, _ int) bool {
	body := echoBody(q)
	if q.method() == "HEAD" {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: %d\r\n\r\n", len(body))
		return true
	}
	respond(c, 200, "", body)
	return true
}

// upstreams are the misbehaving upstreams of the corpus, by name.
var upstreams = map[string]upstreamBehaviour{
	"echo": echo,
	"chunked response": func(c net.Conn, q upstreamReq, _ int) bool {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nchunk\r\n%x\r\n%s\r\n0\r\n\r\n", len(q.Line), q.Line)
		return true
	},
	"chunked response with a trailer": func(c net.Conn, q upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\nX-Sum: 42\r\n\r\n")
		return true
	},
	"body until close": func(c net.Conn, q upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\n\r\n"+echoBody(q))
		return false
	},
	"a second response with the first": func(c net.Conn, q upstreamReq, n int) bool {
		respond(c, 200, "", echoBody(q))
		if n == 0 {
			respond(c, 200, "X-Evil: 1\r\n", "EVIL")
		}
		return true
	},
	"a 408 while idle, then close": func(c net.Conn, q upstreamReq, _ int) bool {
		respond(c, 200, "", echoBody(q))
		time.Sleep(50 * time.Millisecond)
		_, _ = io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\nX-Evil: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		return false
	},
	"Connection lists Content-Length": func(c net.Conn, q upstreamReq, _ int) bool {
		respond(c, 200, "Connection: Content-Length\r\n", echoBody(q))
		return true
	},
	"hop-by-hop fields": func(c net.Conn, q upstreamReq, _ int) bool {
		respond(c, 200, "Connection: X-Secret, keep-alive\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nUpgrade: h2c\r\nX-Kept: k\r\n", echoBody(q))
		return true
	},
	"invalid chunked response": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbody\r\n0\r\n\r\n")
		return false
	},
	"truncated body": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 100\r\n\r\nonly ten b")
		return false
	},
	"length and chunked response": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n")
		return false
	},
	"two different lengths": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nbody!")
		return false
	},
	"a body on a HEAD response": func(c net.Conn, q upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Up: 1\r\nContent-Length: 4\r\n\r\nEVIL")
		return true
	},
	"a body on a 204": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 204 No Content\r\nX-Up: 1\r\n\r\nEVIL")
		return true
	},
	"103 before the response": func(c net.Conn, q upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
		respond(c, 200, "", echoBody(q))
		return true
	},
	"101 without an upgrade": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nRAW")
		return false
	},
	"close without an answer": func(net.Conn, upstreamReq, int) bool { return false },
	"HTTP/1.0 response": func(c net.Conn, q upstreamReq, _ int) bool {
		body := echoBody(q)
		_, _ = fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nX-Up: 1\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		return false
	},
	"a 16 KiB response field": func(c net.Conn, q upstreamReq, _ int) bool {
		respond(c, 200, "X-Big: "+strings.Repeat("b", 16<<10)+"\r\n", echoBody(q))
		return true
	},
	"an invalid status line": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 2000 Weird\r\nX-Up: 1\r\nContent-Length: 0\r\n\r\n")
		return false
	},
	"a field with a bare CR": func(c net.Conn, q upstreamReq, _ int) bool {
		respond(c, 200, "X-Split: a\rX-Injected: 1\r\n", echoBody(q))
		return false
	},
	"a 304 with a length": func(c net.Conn, _ upstreamReq, _ int) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 304 Not Modified\r\nX-Up: 1\r\nContent-Length: 10\r\n\r\n")
		return true
	},
}
