package security

import (
	"strconv"
	"strings"
	"time"
)

// The corpus of the differential test: requests as raw bytes, in groups —
// targets, methods, framing, hop-by-hop fields, smuggling classics,
// pipelining, odd heads, limits — and upstreams that misbehave.

const host = "Host: shop.example\r\n"

func raw(name string, send ...string) diffCase {
	return diffCase{name: name, steps: []clientStep{{send: send}}}
}

func get(name, target string) diffCase {
	return raw(name, "GET "+target+" HTTP/1.1\r\n"+host+"\r\n")
}

func post(name, fields, body string) diffCase {
	return raw(name, "POST /p HTTP/1.1\r\n"+host+fields+"\r\n"+body)
}

// withUpstream is a GET (or the steps given) to a misbehaving upstream.
func withUpstream(upstream string, steps ...clientStep) diffCase {
	if len(steps) == 0 {
		steps = []clientStep{{send: []string{"GET /up HTTP/1.1\r\n" + host + "\r\n"}}}
	}
	return diffCase{name: "upstream: " + upstream, upstream: upstream, steps: steps}
}

// twice is a GET, and another from a new client a moment later: whatever
// the upstream did after the first answer must not reach the second.
func twice() []clientStep {
	return []clientStep{
		{send: []string{"GET /first HTTP/1.1\r\n" + host + "\r\n"}},
		{send: []string{"GET /second HTTP/1.1\r\n" + host + "\r\n"}, wait: 150 * time.Millisecond},
	}
}

func chunked(body string) string {
	return strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
}

func corpus() []diffCase {
	big := strings.Repeat("x", 20<<10)
	const hidden = "GET /hidden HTTP/1.1\r\nHost: hidden\r\n\r\n"
	cases := []diffCase{
		// Targets: forwarded byte for byte.
		get("target: root", "/"),
		get("target: path", "/a/b/c.html"),
		get("target: semicolons in the query", "/search?filter=a;b&page=2"),
		get("target: a bad escape in the query", "/s?x=%zz&y=1&z=%"),
		get("target: a bad escape in the path", "/a%zz/b"),
		get("target: a short escape", "/a%2"),
		get("target: an encoded slash", "/a%2Fb/c"),
		get("target: an encoded slash, lower case", "/a%2fb"),
		get("target: encoded dots", "/%2e%2e/etc/passwd"),
		get("target: dot segments", "/a/../b/./c"),
		get("target: a double slash", "//double//slash"),
		get("target: a fragment", "/a#frag"),
		get("target: a fragment in the query", "/a?b=1#c"),
		get("target: sub-delims", "/~u/@:!$&'()*+,;=?q=@:/?"),
		get("target: an empty query", "/q?"),
		get("target: brackets", "/[x]?[y]=1"),
		get("target: quotes and angle brackets", "/\"q\"<a>"),
		get("target: an encoded NUL", "/a%00b"),
		get("target: escaped space and plus", "/a%20b+c?d=e+f%20g"),
		get("target: a lone percent", "/%"),
		get("target: UTF-8 bytes", "/caf\xc3\xa9"),
		get("target: a backslash", "/a\\b"),
		get("target: absolute form", "http://other.example/x?y=1"),
		raw("target: asterisk", "OPTIONS * HTTP/1.1\r\n"+host+"\r\n"),
		get("target: 8 KiB", "/"+strings.Repeat("t", 8000)),
		get("target: 9 KiB", "/"+strings.Repeat("t", 9<<10)),
		raw("target: a space in it", "GET /a b HTTP/1.1\r\n"+host+"\r\n"),
		raw("target: a tab in it", "GET /a\tb HTTP/1.1\r\n"+host+"\r\n"),
		raw("target: two spaces before it", "GET  /x HTTP/1.1\r\n"+host+"\r\n"),
		raw("target: none", "GET HTTP/1.1\r\n"+host+"\r\n"),

		// Methods.
		raw("method: HEAD", "HEAD /h HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: OPTIONS", "OPTIONS /o HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: TRACE", "TRACE /t HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: PUT", "PUT /u HTTP/1.1\r\n"+host+"Content-Length: 3\r\n\r\nabc"),
		raw("method: PATCH", "PATCH /u HTTP/1.1\r\n"+host+"Content-Length: 3\r\n\r\nabc"),
		raw("method: DELETE", "DELETE /d HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
		raw("method: PROPFIND", "PROPFIND /dav HTTP/1.1\r\n"+host+"Depth: 1\r\n\r\n"),
		raw("method: custom PURGE", "PURGE /cache HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: lower case", "get /x HTTP/1.1\r\n"+host+"\r\n"),
		raw("method: GET with a body", "GET /g HTTP/1.1\r\n"+host+"Content-Length: 4\r\n\r\nbody"),

		// Framing.
		post("framing: a length", "Content-Length: 5\r\n", "hello"),
		post("framing: length 0", "Content-Length: 0\r\n", ""),
		post("framing: no length", "", ""),
		post("framing: chunked", "Transfer-Encoding: chunked\r\n", chunked("hello")),
		post("framing: chunked in pieces", "Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
		post("framing: a chunk extension", "Transfer-Encoding: chunked\r\n", "5;ext=1\r\nhello\r\n0\r\n\r\n"),
		post("framing: a trailer", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"),
		post("framing: CHUNKED in capitals", "Transfer-Encoding: CHUNKED\r\n", chunked("hello")),
		post("framing: gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", chunked("hello")),
		post("framing: identity", "Transfer-Encoding: identity\r\nContent-Length: 5\r\n", "hello"),
		post("framing: a length with leading zeros", "Content-Length: 005\r\n", "hello"),
		post("framing: a signed length", "Content-Length: +5\r\n", "hello"),
		post("framing: a listed length", "Content-Length: 5, 5\r\n", "hello"),
		post("framing: a hex length", "Content-Length: 0x5\r\n", "hello"),
		post("framing: a negative length", "Content-Length: -1\r\n", "hello"),
		post("framing: a length too large for 64 bits", "Content-Length: 99999999999999999999\r\n", "hello"),
		post("framing: 20 KiB by length", "Content-Length: "+strconv.Itoa(len(big))+"\r\n", big),
		post("framing: 20 KiB chunked", "Transfer-Encoding: chunked\r\n", chunked(big)),
		raw("framing: the body after its head", "POST /p HTTP/1.1\r\n"+host+"Content-Length: 5\r\n\r\n", "hel", "lo"),
		post("framing: Expect 100-continue", "Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"),
		post("framing: Expect something else", "Expect: teapot\r\nContent-Length: 5\r\n", "hello"),
		raw("framing: HTTP/1.0 with a length", "POST /p HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"),
		raw("framing: HTTP/1.0 keep-alive", "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n"),
		raw("framing: HTTP/1.1 without Host", "GET /x HTTP/1.1\r\n\r\n"),
		raw("framing: two Hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
		raw("framing: an empty Host", "GET /x HTTP/1.1\r\nHost:\r\n\r\n"),
		raw("framing: Host with a port", "GET /x HTTP/1.1\r\nHost: shop.example:8443\r\n\r\n"),
		post("framing: a chunked body over 1 MiB", "Transfer-Encoding: chunked\r\n", chunked(strings.Repeat("m", 1<<20+1))),

		// Hop-by-hop fields.
		raw("hop: Connection close", "GET /c HTTP/1.1\r\n"+host+"Connection: close\r\n\r\nGET /never HTTP/1.1\r\n"+host+"\r\n"),
		raw("hop: Connection lists a field", "GET /c HTTP/1.1\r\n"+host+"Connection: keep-alive, X-Hop\r\nX-Hop: secret\r\nX-Kept: k\r\n\r\n"),
		post("hop: Connection lists Content-Length", "Connection: Content-Length\r\nContent-Length: "+strconv.Itoa(len(hidden))+"\r\n", hidden),
		raw("hop: Connection lists Host", "GET /c HTTP/1.1\r\n"+host+"Connection: Host\r\n\r\n"),
		raw("hop: Connection lists X-Forwarded-For", "GET /c HTTP/1.1\r\n"+host+"Connection: X-Forwarded-For\r\n\r\n"),
		raw("hop: Keep-Alive", "GET /c HTTP/1.1\r\n"+host+"Keep-Alive: timeout=5\r\n\r\n"),
		raw("hop: TE trailers", "GET /c HTTP/1.1\r\n"+host+"TE: trailers\r\n\r\n"),
		raw("hop: TE gzip", "GET /c HTTP/1.1\r\n"+host+"TE: gzip\r\n\r\n"),
		raw("hop: Proxy-Authorization", "GET /c HTTP/1.1\r\n"+host+"Proxy-Authorization: Basic eDp5\r\n\r\n"),
		raw("hop: Proxy-Connection", "GET /c HTTP/1.1\r\n"+host+"Proxy-Connection: keep-alive\r\n\r\n"),
		raw("hop: Upgrade without Connection", "GET /c HTTP/1.1\r\n"+host+"Upgrade: websocket\r\n\r\n"),
		raw("hop: a client's X-Forwarded-For", "GET /c HTTP/1.1\r\n"+host+"X-Forwarded-For: 203.0.113.9\r\nForwarded: for=203.0.113.9\r\n\r\n"),

		// Smuggling classics.
		post("smuggling: CL.TE", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nGET /smuggled HTTP/1.1\r\n"+host+"\r\n"),
		post("smuggling: TE.CL", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
		post("smuggling: xchunked", "Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n", "abcd"),
		post("smuggling: a space before the colon", "Transfer-Encoding : chunked\r\nContent-Length: 4\r\n", "abcd"),
		post("smuggling: a tab before the value", "Transfer-Encoding:\tchunked\r\n", chunked("tab")),
		post("smuggling: chunked, identity", "Transfer-Encoding: chunked, identity\r\n", chunked("abcd")),
		post("smuggling: two Transfer-Encodings", "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", chunked("abcd")),
		post("smuggling: obs-fold in Transfer-Encoding", "Transfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n", "abcd"),
		raw("smuggling: bare LF line ends", "GET /lf HTTP/1.1\nHost: shop.example\n\n"),
		raw("smuggling: a bare CR in a field", "GET /cr HTTP/1.1\r\n"+host+"X-A: a\rX-B: b\r\n\r\n"),
		raw("smuggling: NUL in a field", "GET /nul HTTP/1.1\r\n"+host+"X-A: a\x00b\r\n\r\n"),
		post("smuggling: a space in Content-Length's name", "Content-Length : 4\r\n", "abcd"),
		post("smuggling: two equal lengths", "Content-Length: 4\r\nContent-Length: 4\r\n", "abcd"),
		post("smuggling: two different lengths", "Content-Length: 4\r\nContent-Length: 40\r\n", "abcd"),
		post("smuggling: a chunk size overflow", "Transfer-Encoding: chunked\r\n", "ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
		post("smuggling: a bare LF after a chunk size", "Transfer-Encoding: chunked\r\n", "3\nabc\r\n0\r\n\r\n"),
		post("smuggling: chunk data longer than its size", "Transfer-Encoding: chunked\r\n", "3\r\nabcdef\r\n0\r\n\r\n"),
		post("smuggling: a request in a chunk extension", "Transfer-Encoding: chunked\r\n", "0;x=\"\r\nGET /smuggled HTTP/1.1\r\n\"\r\n\r\n"),
		raw("smuggling: HTTP/1.0 with chunked", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\nX"),
		raw("smuggling: a request hidden in a GET body", "GET /g HTTP/1.1\r\n"+host+"Content-Length: "+strconv.Itoa(len(hidden))+"\r\n\r\n"+hidden),
		raw("smuggling: an invalid chunk", "POST /p HTTP/1.1\r\n"+host+"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
		post("smuggling: an invalid chunk after 20 KiB", "Transfer-Encoding: chunked\r\n", strconv.FormatInt(int64(len(big)), 16)+"\r\n"+big+"\r\nzz\r\n0\r\n\r\n"),
		post("smuggling: an invalid chunk after 100 KiB", "Transfer-Encoding: chunked\r\n", "19000\r\n"+strings.Repeat("y", 0x19000)+"\r\nzz\r\n0\r\n\r\n"),
		post("smuggling: a 17-digit chunk size", "Transfer-Encoding: chunked\r\n", "10000000000000003\r\nabc\r\n0\r\n\r\n"),
		raw("smuggling: TE.TE, chunked last", "POST /p HTTP/1.1\r\n"+host+"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked("abcd")),

		// Pipelining.
		raw("pipelining: two GETs", "GET /1 HTTP/1.1\r\n"+host+"\r\nGET /2 HTTP/1.1\r\n"+host+"\r\n"),
		{name: "pipelining: GET, HEAD, GET", steps: []clientStep{{send: []string{"GET /1 HTTP/1.1\r\n" + host + "\r\nHEAD /2 HTTP/1.1\r\n" + host + "\r\nGET /3 HTTP/1.1\r\n" + host + "\r\n"}, methods: []string{"GET", "HEAD", "GET"}}}},
		raw("pipelining: POST, then GET", "POST /1 HTTP/1.1\r\n"+host+"Content-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n"+host+"\r\n"),
		raw("pipelining: close in the middle", "GET /1 HTTP/1.1\r\n"+host+"\r\nGET /2 HTTP/1.1\r\n"+host+"Connection: close\r\n\r\nGET /3 HTTP/1.1\r\n"+host+"\r\n"),
		raw("pipelining: a bad request second", "GET /1 HTTP/1.1\r\n"+host+"\r\nPOST /2 HTTP/1.1\r\n"+host+"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
		raw("pipelining: chunked, then GET", "POST /1 HTTP/1.1\r\n"+host+"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n"+host+"\r\n"),
		raw("pipelining: after a large body, CL.TE", "POST /1 HTTP/1.1\r\n"+host+"Content-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big+
			"POST /2 HTTP/1.1\r\n"+host+"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n"+host+"\r\n"),
		raw("pipelining: empty lines between requests", "GET /1 HTTP/1.1\r\n"+host+"\r\n\r\n\r\nGET /2 HTTP/1.1\r\n"+host+"\r\n"),

		// Odd heads, and limits.
		raw("head: 1 MiB of fields", "GET /big HTTP/1.1\r\n"+host+"X-Big: "+strings.Repeat("b", 1<<20)+"\r\n\r\n"),
		raw("head: a 7 KiB field", "GET /big HTTP/1.1\r\n"+host+"X-Big: "+strings.Repeat("b", 7<<10)+"\r\n\r\n"),
		raw("head: a 9 KiB field", "GET /big HTTP/1.1\r\n"+host+"X-Big: "+strings.Repeat("b", 9<<10)+"\r\n\r\n"),
		raw("head: 150 fields", "GET /many HTTP/1.1\r\n"+host+strings.Repeat("X-F: v\r\n", 150)+"\r\n"),
		raw("head: 10,000 fields", "GET /many HTTP/1.1\r\n"+host+strings.Repeat("X: y\r\n", 10000)+"\r\n"),
		raw("head: obs-text in a value", "GET /t HTTP/1.1\r\n"+host+"X-T: caf\xe9\r\n\r\n"),
		raw("head: an empty value", "GET /t HTTP/1.1\r\n"+host+"X-Empty:\r\n\r\n"),
		raw("head: an underscore in a name", "GET /t HTTP/1.1\r\n"+host+"X_Under: u\r\n\r\n"),
		raw("head: whitespace around a value", "GET /t HTTP/1.1\r\n"+host+"X-W:   v  \t\r\n\r\n"),
		raw("head: a space in a name", "GET /t HTTP/1.1\r\n"+host+"X A: b\r\n\r\n"),
		raw("head: no colon", "GET /t HTTP/1.1\r\n"+host+"X-NoColon\r\n\r\n"),
		raw("head: two Cookie fields", "GET /t HTTP/1.1\r\n"+host+"Cookie: a=1\r\nCookie: b=2\r\n\r\n"),
		raw("head: a repeated field", "GET /t HTTP/1.1\r\n"+host+"X-R: 1\r\nX-R: 2\r\n\r\n"),
		raw("head: field case kept", "GET /t HTTP/1.1\r\n"+host+"x-lower: l\r\nX-UPPER: U\r\n\r\n"),
		raw("head: empty lines before it", "\r\n\r\nGET /e HTTP/1.1\r\n"+host+"\r\n"),
		raw("head: HTTP/0.9", "GET /nine\r\n\r\n"),
		raw("head: HTTP/1.2", "GET /x HTTP/1.2\r\n"+host+"\r\n"),
		raw("head: HTTP/2.0 on HTTP/1", "GET /x HTTP/2.0\r\n"+host+"\r\n"),
		raw("head: a lower-case version", "GET /x http/1.1\r\n"+host+"\r\n"),
		raw("head: obs-fold", "GET /t HTTP/1.1\r\n"+host+"X-A: a\r\n b\r\n\r\n"),
		raw("head: sent slowly", "GET /slow HTTP/1.1\r\n", "Host: shop.example\r\n", "X-A: 1\r\n", "\r\n"),
		raw("head: garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),

		// Upstreams that misbehave.
		withUpstream("echo"),
		withUpstream("chunked response"),
		withUpstream("chunked response with a trailer"),
		withUpstream("body until close"),
		withUpstream("a second response with the first", twice()...),
		withUpstream("a 408 while idle, then close", twice()...),
		withUpstream("Connection lists Content-Length",
			clientStep{send: []string{"GET /1 HTTP/1.1\r\n" + host + "\r\nGET /2 HTTP/1.1\r\n" + host + "\r\n"}}),
		withUpstream("hop-by-hop fields"),
		withUpstream("invalid chunked response"),
		withUpstream("truncated body"),
		withUpstream("length and chunked response"),
		withUpstream("two different lengths"),
		withUpstream("a body on a HEAD response",
			clientStep{send: []string{"HEAD /h HTTP/1.1\r\n" + host + "\r\n"}, methods: []string{"HEAD"}},
			clientStep{send: []string{"GET /second HTTP/1.1\r\n" + host + "\r\n"}, wait: 100 * time.Millisecond}),
		withUpstream("a body on a 204", twice()...),
		withUpstream("103 before the response"),
		withUpstream("101 without an upgrade"),
		withUpstream("close without an answer"),
		withUpstream("HTTP/1.0 response"),
		withUpstream("a 16 KiB response field"),
		withUpstream("an invalid status line"),
		withUpstream("a field with a bare CR"),
		withUpstream("a 304 with a length", twice()...),
	}
	return cases
}
