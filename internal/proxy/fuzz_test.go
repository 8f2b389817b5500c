package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzMatch feeds arbitrary rules and request headers through compile and
// match. Compiling may reject a rule; nothing may panic, and an exact rule
// that compiled must match a request carrying exactly that value.
func FuzzMatch(f *testing.F) {
	f.Add("x-canary", "always", uint8(0), "always", "canary", "yes", uint8(0), "canary=yes")
	f.Add("X-User", "u[0-9]+", uint8(2), "u42", "group", "be", uint8(1), `group="beta"; a=b`)
	f.Add("host", "(", uint8(2), "", "a", "", uint8(0), ";;=;")
	f.Add("", "", uint8(1), "\x00", "=", "\"", uint8(2), "\"=\"")
	f.Fuzz(func(t *testing.T, hName, hPattern string, hKind uint8, hValue, cName, cPattern string, cKind uint8, cookie string) {
		rule := MatchRule{
			Headers: map[string]StringMatch{hName: stringMatch(hKind, hPattern)},
			Cookies: map[string]StringMatch{cName: stringMatch(cKind, cPattern)},
		}
		rules, err := compileRules([]MatchRule{rule})
		if err != nil {
			return
		}
		r := &http.Request{
			Host:   hValue,
			Header: http.Header{http.CanonicalHeaderKey(hName): {hValue}, "Cookie": {cookie}},
		}
		_ = rules[0].matches((*stdRequest)(r))

		// An exact header rule alone must match its own value.
		if hKind%3 == 0 {
			only, err := compileRules([]MatchRule{{Headers: rule.Headers}})
			if err != nil {
				t.Fatalf("header half of a valid rule rejected: %v", err)
			}
			r.Header[http.CanonicalHeaderKey(hName)] = []string{hPattern}
			r.Host = hPattern
			if !only[0].matches((*stdRequest)(r)) {
				t.Fatalf("exact rule %q=%q does not match its own value", hName, hPattern)
			}
		}
	})
}

func stringMatch(kind uint8, pattern string) StringMatch {
	switch kind % 3 {
	case 0:
		return StringMatch{Exact: pattern}
	case 1:
		return StringMatch{Prefix: pattern}
	}
	return StringMatch{Regex: pattern}
}

// FuzzFastPathMatchesTransport checks the fast path against the transport
// path: for any request the server would accept, the request the fast path
// writes must parse, and carry the same method, target, Host and headers as
// the transport path's outbound request.
func FuzzFastPathMatchesTransport(f *testing.F) {
	f.Add(uint8(0), "/a/b?x=1", "X-Custom", "v", "X-Custom", "203.0.113.7", false, "")
	f.Add(uint8(1), "/%2F?a=1;b=2", "Te", "trailers, deflate", "keep-alive, Te", "", true, "/base/")
	f.Add(uint8(2), "*", "User-Agent", "", "User-Agent", "1.2.3.4", true, "/x?t=1")
	p := New(Options{Logger: quietLogger()})
	f.Fuzz(func(t *testing.T, m uint8, target, name, value, conn, xff string, trust bool, base string) {
		method := []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace}[m%4]
		raw := method + " " + target + " HTTP/1.1\r\nHost: shop.example\r\n" +
			name + ": " + value + "\r\nConnection: " + conn + "\r\nX-Forwarded-For: " + xff + "\r\n\r\n"
		in, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || !serverAccepts(in) {
			return
		}
		in.RemoteAddr = "127.0.0.1:5555"
		u, err := url.Parse("http://127.0.0.1:8080" + base)
		if err != nil || u.Host != "127.0.0.1:8080" || u.Fragment != "" || validUpstream(u) != nil {
			return
		}
		tg := p.newTarget(u, stable, true)

		wantURL, err := tg.outboundURL(requestTarget(in))
		if err != nil {
			return // the transport cannot write it as sent; the proxy refuses it
		}
		wantURI := wantURL.RequestURI()
		if _, err := url.ParseRequestURI(wantURI); err != nil {
			return // both forwarders would send it; the upstream answers 400
		}
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		writeRequest(bw, in, tg, trust)
		_ = bw.Flush()
		got, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil {
			t.Fatalf("fast path wrote an unparsable request: %v\n%q", err, buf.String())
		}
		if got.Method != method || got.RequestURI != wantURI || got.Host != "127.0.0.1:8080" {
			t.Fatalf("fast path: %s %s Host %s; transport: %s %s Host 127.0.0.1:8080", got.Method, got.RequestURI, got.Host, method, wantURI)
		}
		want := outboundHeader(in, trust)
		if ua, ok := want["User-Agent"]; ok && len(ua) == 1 && ua[0] == "" {
			delete(want, "User-Agent") // the transport sends no empty User-Agent
		}
		if !reflect.DeepEqual(map[string][]string(got.Header), map[string][]string(want)) {
			t.Fatalf("headers differ\nfast path: %v\ntransport: %v", got.Header, want)
		}
	})
}

// serverAccepts mirrors the checks net/http's server makes before a
// handler sees a request: valid header names and values, and a Host.
func serverAccepts(r *http.Request) bool {
	if r.Host == "" || r.URL == nil {
		return false
	}
	for k, vv := range r.Header {
		if !validToken(k) {
			return false
		}
		for _, v := range vv {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
					return false
				}
			}
		}
	}
	return true
}

// FuzzH1Request feeds arbitrary bytes to the own server's request parser.
// Nothing may panic; and a request it accepts must be one net/http reads
// the same way (method, target, Host, header fields), for which the own
// server's request writer and the fast path's write the same request.
func FuzzH1Request(f *testing.F) {
	f.Add("GET /a/b?x=1 HTTP/1.1\r\nHost: shop.example\r\nX-Custom: v\r\n\r\n", false, "")
	f.Add("HEAD /%2F?a=1;b=2 HTTP/1.1\r\nHost: h:1\r\nTe: trailers, deflate\r\nConnection: keep-alive, Te, x-a\r\nX-A: 1\r\n\r\n", true, "/base/")
	f.Add("GET / HTTP/1.0\r\nUser-Agent: a\r\nuser-agent: b\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", true, "/x?t=1")
	f.Add("OPTIONS /? HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nCookie: a=1\r\ncookie: b=2\r\n\r\n", false, "")
	f.Add("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", false, "")
	f.Add("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\nIdempotency-Key: k\r\n\r\n", false, "")
	f.Add("DELETE /d HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", false, "")
	p := New(Options{Logger: quietLogger()})
	f.Fuzz(func(t *testing.T, head string, trust bool, base string) {
		var r h1req
		if !parseRequest(head, &r) {
			return
		}
		in, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
		if err != nil {
			// The one thing the own parser takes that net/http refuses: a
			// target that net/url cannot parse, forwarded as sent.
			plain := strings.Replace(head, " "+r.target+" ", " / ", 1)
			if _, perr := http.ReadRequest(bufio.NewReader(strings.NewReader(plain))); perr != nil || !strings.Contains(err.Error(), "parse") {
				t.Fatalf("own parser accepted what net/http refuses (%v): %q", err, head)
			}
			return
		}
		wantLen := int64(r.bodyLen)
		if r.chunked {
			wantLen = -1
			if !reflect.DeepEqual(in.TransferEncoding, []string{"chunked"}) {
				t.Fatalf("own parser reads a chunked body; net/http's transfer encoding is %q", in.TransferEncoding)
			}
		}
		if in.Method != r.method || in.RequestURI != r.target || in.Host != r.host || in.ContentLength != wantLen {
			t.Fatalf("net/http reads %s %s Host %q length %d; own parser %s %s Host %q length %d", in.Method, in.RequestURI, in.Host, in.ContentLength, r.method, r.target, r.host, r.bodyLen)
		}
		if in.URL.RawQuery != r.query || in.URL.ForceQuery != r.forceQuery {
			t.Fatalf("query %q %v; own parser %q %v", in.URL.RawQuery, in.URL.ForceQuery, r.query, r.forceQuery)
		}
		own := http.Header{}
		for _, fl := range r.fields {
			if k := http.CanonicalHeaderKey(fl.name); k != "Host" && k != "Transfer-Encoding" {
				own[k] = append(own[k], fl.value)
			}
		}
		if !reflect.DeepEqual(map[string][]string(own), map[string][]string(in.Header)) {
			t.Fatalf("fields differ\nown:      %v\nnet/http: %v", own, in.Header)
		}
		bodiless := r.method == http.MethodGet || r.method == http.MethodHead || r.method == http.MethodOptions || r.method == http.MethodTrace
		if fastEligible(in) != bodiless || in.Close != r.wantClose {
			t.Fatalf("eligible %v close %v; own parser: bodiless method %v, close %v", fastEligible(in), in.Close, bodiless, r.wantClose)
		}
		if want := bodiless || len(in.Header["Idempotency-Key"]) > 0 || len(in.Header["X-Idempotency-Key"]) > 0; r.replayable != want {
			t.Fatalf("own parser: replayable %v, want %v", r.replayable, want)
		}

		u, err := url.Parse("http://127.0.0.1:8080" + base)
		if err != nil || u.Host != "127.0.0.1:8080" || u.Fragment != "" || validUpstream(u) != nil {
			return
		}
		tg := p.newTarget(u, stable, true)
		in.RemoteAddr = "127.0.0.1:5555"
		write := func(fn func(*bufio.Writer)) *http.Request {
			var buf bytes.Buffer
			bw := bufio.NewWriter(&buf)
			fn(bw)
			_ = bw.Flush()
			out, err := http.ReadRequest(bufio.NewReader(&buf))
			if err != nil {
				t.Fatalf("unparsable request written: %v\n%q", err, buf.String())
			}
			return out
		}
		got := write(func(bw *bufio.Writer) { writeH1Request(bw, &r, tg, "127.0.0.1", trust) })
		want := write(func(bw *bufio.Writer) { writeRequest(bw, in, tg, trust) })
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.Host != want.Host {
			t.Fatalf("own: %s %s Host %s; fast path: %s %s Host %s", got.Method, got.RequestURI, got.Host, want.Method, want.RequestURI, want.Host)
		}
		if r.chunked {
			// The own server sends a chunked body read whole, with its
			// length (here 0: the head alone); the fast path never
			// forwards a body.
			if got.ContentLength != int64(r.bodyLen) || len(got.TransferEncoding) > 0 {
				t.Fatalf("a chunked body forwarded with length %d, transfer encoding %q", got.ContentLength, got.TransferEncoding)
			}
			delete(got.Header, "Content-Length")
			delete(want.Header, "Content-Length")
		}
		if !reflect.DeepEqual(map[string][]string(got.Header), map[string][]string(want.Header)) {
			t.Fatalf("headers differ\nown:       %v\nfast path: %v", got.Header, want.Header)
		}
	})
}

// FuzzH1Chunked checks the own server's chunked-body reader against
// net/http's: whatever body scanChunked accepts, net/http reads the same
// bytes from the same encoding and stops where it does, so the two servers
// never disagree on where a request ends. A body net/http reads that the
// own server refuses is fine: net/http serves it. A body the own server
// finds invalid, and answers 400, net/http cannot read either.
func FuzzH1Chunked(f *testing.F) {
	f.Add("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n")
	f.Add("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
	f.Add("A\r\n0123456789\r\n00\r\n\r\n")
	f.Add("3;ext=1\r\nabc\r\n0\r\n\r\n")
	f.Add("3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n")
	f.Add("3\nabc\n0\n\n")
	f.Add("3\r\nabcd\r\n0\r\n\r\n")
	f.Add("zz\r\n")
	f.Add("3\rabc")
	f.Fuzz(func(t *testing.T, data string) {
		b := []byte(data)
		st, body, wire := scanChunked(b)
		// No prefix of what is accepted is refused or invalid: read as it
		// arrives, a body is judged the same as read at once.
		if st == chunkMore || st == chunkComplete {
			for i := range len(b) {
				if pst, _, _ := scanChunked(b[:i]); pst == chunkRefused || pst == chunkInvalid {
					t.Fatalf("prefix %q refused, whole %q accepted (%d)", b[:i], b, st)
				}
			}
		}
		if st != chunkComplete && st != chunkInvalid {
			return
		}
		br := bufio.NewReader(strings.NewReader("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + data))
		in, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("net/http refuses the head: %v", err)
		}
		got, err := io.ReadAll(in.Body)
		if st == chunkInvalid {
			if err == nil {
				t.Fatalf("own reader finds %q invalid; net/http reads it", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("own reader accepted %q, net/http: %v", data, err)
		}
		rest, _ := io.ReadAll(br)
		if len(got) != body || string(rest) != data[wire:] {
			t.Fatalf("%q: net/http reads %d bytes and leaves %q; own reader %d bytes, leaves %q", data, len(got), rest, body, data[wire:])
		}
		if n := decodeChunked(b); n != body || string(b[:n]) != string(got) {
			t.Fatalf("%q: decoded %q, net/http %q", data, b[:n], got)
		}
	})
}
