package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// rawUpstream is a real upstream on 127.0.0.1 that reads requests itself,
// byte by byte as sent, so tests see exactly what the proxy wrote — even a
// target net/http's parser would refuse — and can answer in ways no
// well-behaved server does.
type rawUpstream struct {
	addr string
	mu   sync.Mutex
	reqs []rawReq
	// respond writes the answer to a request on its connection; nil
	// answers 200 with "<method> <target> <body>". Returning false closes
	// the connection.
	respond func(w io.Writer, r rawReq, n int) bool
}

// rawReq is one request as the upstream read it.
type rawReq struct {
	line   string // the request line as sent
	method string
	target string
	fields []string // "Name: value" lines, as sent
	body   string
}

func newRawUpstream(t testing.TB, respond func(w io.Writer, r rawReq, n int) bool) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{addr: ln.Addr().String(), respond: respond}
	var wg sync.WaitGroup
	var connsMu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = ln.Close()
		connsMu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		connsMu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connsMu.Lock()
			conns = append(conns, c)
			connsMu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = c.Close() }()
				u.serve(c)
			}()
		}
	}()
	return u
}

func (u *rawUpstream) URL() string { return "http://" + u.addr }

func (u *rawUpstream) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		r, err := readRawRequest(br)
		if r.line == "" {
			return
		}
		u.mu.Lock()
		u.reqs = append(u.reqs, r) // even unfinished: it reached the upstream
		n := len(u.reqs)
		u.mu.Unlock()
		if err != nil {
			return
		}
		if u.respond == nil {
			body := r.method + " " + r.target + " " + r.body
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			continue
		}
		if !u.respond(c, r, n) {
			return
		}
	}
}

// requests returns what the upstream has read so far.
func (u *rawUpstream) requests() []rawReq {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]rawReq(nil), u.reqs...)
}

// readRawRequest reads one request: CRLF lines, a Content-Length or
// chunked body.
func readRawRequest(br *bufio.Reader) (rawReq, error) {
	var r rawReq
	line, err := br.ReadString('\n')
	if err != nil {
		return r, err
	}
	r.line = strings.TrimSuffix(line, "\r\n")
	parts := strings.SplitN(r.line, " ", 3)
	if len(parts) == 3 {
		r.method, r.target = parts[0], parts[1]
	}
	length, chunked := 0, false
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return r, err
		}
		if l = strings.TrimSuffix(l, "\r\n"); l == "" {
			break
		}
		r.fields = append(r.fields, l)
		k, v, _ := strings.Cut(l, ":")
		switch {
		case strings.EqualFold(k, "Content-Length"):
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		case strings.EqualFold(k, "Transfer-Encoding"):
			chunked = strings.EqualFold(strings.TrimSpace(v), "chunked")
		}
	}
	var body []byte
	if chunked {
		body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = br.ReadString('\n') // the final CRLF, no trailers
		}
	} else {
		body = make([]byte, length)
		_, err = io.ReadFull(br, body)
	}
	r.body = string(body)
	return r, err
}
