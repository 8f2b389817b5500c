package security

import (
	"bufio"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is the upstream of the differential test: one process-local
// server on several loopback ports (one per proxy and version, so nginx
// and Sluice can be measured at once), which reads every request byte by
// byte as sent — a target no parser would take included — records it, and
// answers as the current case's upstream behaviour says, misbehaving on
// purpose where it says so.
type recorder struct {
	mu       sync.Mutex
	behave   upstreamBehaviour
	recorded map[string][]upstreamReq // by listener name
	conns    map[net.Conn]bool
	addrs    map[string]string
}

// upstreamReq is one request as the upstream read it.
type upstreamReq struct {
	Line    string   // the request line
	Fields  []string // "Name: value", as sent, in order
	Framing string   // "length", "chunked" or "none"
	Body    string
	Err     string // the request could not be read whole
}

// healthPath is the path Sluice's runner probes directly (not through a
// proxy); the recorder answers it and does not record it.
const healthPath = "/sluice-health"

func newRecorder(t *testing.T, names ...string) *recorder {
	t.Helper()
	r := &recorder{recorded: map[string][]upstreamReq{}, conns: map[net.Conn]bool{}, addrs: map[string]string{}}
	for _, name := range names {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.addrs[name] = ln.Addr().String()
		t.Cleanup(func() { _ = ln.Close() })
		go r.accept(ln, name)
	}
	t.Cleanup(r.closeAll)
	return r
}

func (r *recorder) accept(ln net.Listener, name string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.conns[c] = true
		r.mu.Unlock()
		go func() {
			defer r.forget(c)
			r.serve(c, name)
		}()
	}
}

func (r *recorder) forget(c net.Conn) {
	_ = c.Close()
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// reset starts a case: every upstream connection is closed, so none
// carries anything over from the last case, and the records are cleared.
func (r *recorder) reset(b upstreamBehaviour) {
	r.closeAll()
	time.Sleep(20 * time.Millisecond) // the proxies see the closes
	r.mu.Lock()
	r.behave, r.recorded = b, map[string][]upstreamReq{}
	r.mu.Unlock()
}

func (r *recorder) closeAll() {
	r.mu.Lock()
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
}

// requests returns what the listeners whose names start with prefix read.
func (r *recorder) requests(prefix string) []upstreamReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []upstreamReq
	for _, name := range []string{prefix, prefix + "-canary"} {
		out = append(out, r.recorded[name]...)
	}
	return out
}

func (r *recorder) serve(c net.Conn, name string) {
	br := bufio.NewReader(c)
	for n := 0; ; n++ {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		req, ok := readUpstreamReq(br)
		if req.Line == "" {
			return
		}
		if strings.Contains(req.Line, healthPath) && !req.hasField("X-Forwarded-For") {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			continue
		}
		r.mu.Lock()
		r.recorded[name] = append(r.recorded[name], req)
		b := r.behave
		r.mu.Unlock()
		if !ok {
			return
		}
		if b == nil {
			b = echo
		}
		if !b(c, req, n) {
			return
		}
	}
}

func (q upstreamReq) hasField(name string) bool {
	for _, f := range q.Fields {
		if k, _, _ := strings.Cut(f, ":"); strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func (q upstreamReq) method() string { m, _, _ := strings.Cut(q.Line, " "); return m }

// readUpstreamReq reads one request: CRLF lines, then a Content-Length or
// chunked body. ok is false when it could not be read whole.
func readUpstreamReq(br *bufio.Reader) (upstreamReq, bool) {
	var q upstreamReq
	line, err := br.ReadString('\n')
	if err != nil {
		return q, false
	}
	q.Line = strings.TrimRight(line, "\r\n")
	length, chunked := -1, false
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			q.Err = "head: " + err.Error()
			return q, false
		}
		if l = strings.TrimRight(l, "\r\n"); l == "" {
			break
		}
		q.Fields = append(q.Fields, l)
		k, v, _ := strings.Cut(l, ":")
		switch {
		case strings.EqualFold(k, "Content-Length"):
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		case strings.EqualFold(k, "Transfer-Encoding"):
			chunked = strings.Contains(strings.ToLower(v), "chunked")
		}
	}
	var body []byte
	switch {
	case chunked:
		q.Framing = "chunked"
		body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = br.ReadString('\n')
		}
	case length >= 0:
		q.Framing = "length"
		body = make([]byte, length)
		_, err = io.ReadFull(br, body)
	default:
		q.Framing = "none"
	}
	q.Body = string(body)
	if err != nil {
		q.Err = "body: " + err.Error()
		return q, false
	}
	return q, true
}
