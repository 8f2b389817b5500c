package proxy

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	type want struct {
		ok        bool
		method    string
		path      string
		query     string
		force     bool
		minor     int
		host      string
		fields    int
		wantClose bool
		bodyLen   int
		replay    bool
	}
	tests := map[string]struct {
		head string
		want want
	}{
		"plain GET": {
			head: "GET /a/b?x=1 HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a/b", query: "x=1", minor: 1, host: "shop.example", fields: 2, replay: true},
		},
		"HEAD, OPTIONS, TRACE": {
			head: "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "HEAD", path: "/", minor: 1, host: "h", fields: 1, replay: true},
		},
		"empty query kept": {
			head: "GET /a? HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a", force: true, minor: 1, host: "h", fields: 1, replay: true},
		},
		"escapes and sub-delims": {
			head: "GET /a%2Fb/c;d=e,f@g:h HTTP/1.1\r\nHost: h:8080\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a%2Fb/c;d=e,f@g:h", minor: 1, host: "h:8080", fields: 1, replay: true},
		},
		"whitespace around values": {
			head: "GET / HTTP/1.1\r\nHost:\th \r\nX-A:   v  v \t\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/", minor: 1, host: "h", fields: 2, replay: true},
		},
		"Connection: close": {
			head: "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/", minor: 1, host: "h", fields: 2, wantClose: true, replay: true},
		},
		"HTTP/1.0 closes by default": {
			head: "GET / HTTP/1.0\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/", minor: 0, wantClose: true, replay: true},
		},
		"HTTP/1.0 keep-alive": {
			head: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/", minor: 0, host: "h", fields: 2, replay: true},
		},
		"Content-Length 0": {
			head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/", minor: 1, host: "h", fields: 2, replay: true},
		},
		"POST with a body": {
			head: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n",
			want: want{ok: true, method: "POST", path: "/p", minor: 1, host: "h", fields: 2, bodyLen: 12},
		},
		"POST, no length: no body": {
			head: "POST /p HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "POST", path: "/p", minor: 1, host: "h", fields: 1},
		},
		// Targets are forwarded as sent (target.go), whatever net/url
		// makes of them.
		"fragment": {
			head: "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a#b", minor: 1, host: "h", fields: 1, replay: true},
		},
		"fragment in query": {
			head: "GET /a?b#c HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a", query: "b#c", minor: 1, host: "h", fields: 1, replay: true},
		},
		"bad escape": {
			head: "GET /a%zz?q=%% HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a%zz", query: "q=%%", minor: 1, host: "h", fields: 1, replay: true},
		},
		"short escape": {
			head: "GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/a%2", minor: 1, host: "h", fields: 1, replay: true},
		},
		"brackets and quotes in path": {
			head: "GET /[x]\"<y>\" HTTP/1.1\r\nHost: h\r\n\r\n",
			want: want{ok: true, method: "GET", path: "/[x]\"<y>\"", minor: 1, host: "h", fields: 1, replay: true},
		},
		"PUT with an idempotency key": {
			head: "PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\nidempotency-key: k1\r\n\r\n",
			want: want{ok: true, method: "PUT", path: "/p", minor: 1, host: "h", fields: 3, bodyLen: 7, replay: true},
		},

		// Everything else is net/http's.
		"GET with a body":             {head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n"},
		"a signed length":             {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n"},
		"two equal lengths":           {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"},
		"a list of lengths":           {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n"},
		"a body beyond the buffer":    {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16385\r\n\r\n"},
		"a length and chunked":        {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"},
		"Expect: 100-continue":        {head: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"},
		"lower-case method":           {head: "get / HTTP/1.1\r\nHost: h\r\n\r\n"},
		"CONNECT":                     {head: "CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"},
		"h2c preface":                 {head: "PRI * HTTP/2.0\r\n\r\n"},
		"HTTP/0.9":                    {head: "GET /\r\n\r\n"},
		"HTTP/1.2":                    {head: "GET / HTTP/1.2\r\nHost: h\r\n\r\n"},
		"lower-case version":          {head: "GET / http/1.1\r\nHost: h\r\n\r\n"},
		"two spaces":                  {head: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"},
		"space in target":             {head: "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"},
		"absolute target":             {head: "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n"},
		"asterisk":                    {head: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"},
		"non-ASCII path":              {head: "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"},
		"no Host in 1.1":              {head: "GET / HTTP/1.1\r\n\r\n"},
		"two Hosts":                   {head: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		"empty Host":                  {head: "GET / HTTP/1.1\r\nHost:\r\n\r\n"},
		"bad Host":                    {head: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"},
		"Host with slash":             {head: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
		"body length":                 {head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"},
		"two lengths":                 {head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"},
		"signed length":               {head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +0\r\n\r\n"},
		"chunked":                     {head: "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"},
		"chunked, other case":         {head: "GET / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n"},
		"length and chunked":          {head: "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"},
		"upgrade":                     {head: "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		"expect":                      {head: "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n"},
		"obs-fold":                    {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n"},
		"space before colon":          {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A : a\r\n\r\n"},
		"space in name":               {head: "GET / HTTP/1.1\r\nHost: h\r\nX A: a\r\n\r\n"},
		"empty name":                  {head: "GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n"},
		"no colon":                    {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A\r\n\r\n"},
		"NUL in value":                {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n"},
		"CR in value":                 {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n"},
		"LF in value":                 {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\nb\r\n\r\n"},
		"obs-text in value":           {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: \xe9\r\n\r\n"},
		"DEL in value":                {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: \x7f\r\n\r\n"},
		"non-token name":              {head: "GET / HTTP/1.1\r\nHost: h\r\nX(A): a\r\n\r\n"},
		"bytes after the blank line":  {head: "GET / HTTP/1.1\r\nHost: h\r\n\r\nX"},
		"no blank line":               {head: "GET / HTTP/1.1\r\nHost: h\r\n"},
		"smuggled request in a field": {head: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\r\nGET /admin HTTP/1.1\r\n\r\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var r h1req
			ok := parseRequest(tc.head, &r)
			if !tc.want.ok {
				if ok {
					t.Fatalf("parsed %q; want it handed to net/http", tc.head)
				}
				return
			}
			if !ok {
				t.Fatalf("refused %q", tc.head)
			}
			got := want{ok: true, method: r.method, path: r.path, query: r.query, force: r.forceQuery, minor: r.minor, host: r.host, fields: len(r.fields), wantClose: r.wantClose, bodyLen: r.bodyLen, replay: r.replayable}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestHeadEnd(t *testing.T) {
	tests := map[string]struct {
		in   string
		want int
	}{
		"complete":           {in: "GET / HTTP/1.1\r\nHost: h\r\n\r\nnext", want: 27},
		"incomplete":         {in: "GET / HTTP/1.1\r\nHost: h\r\n", want: 0},
		"empty":              {in: "", want: 0},
		"bare LF":            {in: "GET / HTTP/1.1\nHost: h\r\n\r\n", want: -1},
		"bare LF at the end": {in: "GET / HTTP/1.1\r\nHost: h\r\n\n", want: -1},
		"leading empty line": {in: "\r\nGET / HTTP/1.1\r\n\r\n", want: -1},
		"leading LF":         {in: "\nGET / HTTP/1.1\r\n\r\n", want: -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			scanned := 0
			if got := headEnd([]byte(tc.in), &scanned); got != tc.want {
				t.Errorf("headEnd(%q) = %d, want %d", tc.in, got, tc.want)
			}
			// Fed one byte at a time, the answer is the same.
			scanned = 0
			got := 0
			for i := 1; i <= len(tc.in) && got == 0; i++ {
				got = headEnd([]byte(tc.in[:i]), &scanned)
			}
			if got != tc.want {
				t.Errorf("byte by byte: %d, want %d", got, tc.want)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	type want struct {
		plain   bool
		code    int
		length  int64
		chunked bool
		noBody  bool
		close   bool
	}
	tests := map[string]struct {
		head   string
		isHead bool
		want   want
	}{
		"length":          {head: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", want: want{plain: true, code: 200, length: 5}},
		"chunked":         {head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", want: want{plain: true, code: 200, length: -1, chunked: true}},
		"close-delimited": {head: "HTTP/1.1 200 OK\r\n\r\n", want: want{plain: true, code: 200, length: -1, close: true}},
		"no reason":       {head: "HTTP/1.1 204\r\n\r\n", want: want{plain: true, code: 204, length: -1, noBody: true}},
		"304":             {head: "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", want: want{plain: true, code: 304, length: 9, noBody: true}},
		"HEAD":            {head: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", isHead: true, want: want{plain: true, code: 200, length: 9, noBody: true}},
		"103":             {head: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", want: want{plain: true, code: 103, length: -1, noBody: true}},
		"1.0 closes":      {head: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", want: want{plain: true, code: 200, length: 1, close: true}},
		"1.0 keep-alive":  {head: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n", want: want{plain: true, code: 200, length: 1}},
		"close":           {head: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", want: want{plain: true, code: 200, length: 1, close: true}},
		"obs-text value":  {head: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nX-A: \xe9\r\n\r\n", want: want{plain: true, code: 200, length: 1}},

		// http.ReadResponse reads these.
		"length and chunked": {head: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
		"two lengths":        {head: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"},
		"bad length":         {head: "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n"},
		"signed length":      {head: "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n"},
		"gzip, chunked":      {head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"},
		"obs-fold":           {head: "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 1\r\n\r\n"},
		"HTTP/2":             {head: "HTTP/2 200 OK\r\n\r\n"},
		"short code":         {head: "HTTP/1.1 20 OK\r\n\r\n"},
		"NUL":                {head: "HTTP/1.1 200 OK\r\nX-A: \x00\r\n\r\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var u upResp
			plain := parseResponse(tc.head, tc.isHead, &u)
			if !tc.want.plain {
				if plain {
					t.Fatalf("parsed %q in place; want http.ReadResponse to read it", tc.head)
				}
				return
			}
			got := want{plain: plain, code: u.code, length: u.contentLength, chunked: u.chunked, noBody: u.noBody, close: u.close}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestPeekResponseHead(t *testing.T) {
	tests := map[string]struct {
		in   string
		size int
		want int
	}{
		"fits":             {in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", size: 64, want: 38},
		"too big":          {in: "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("a", 100) + "\r\n\r\n", size: 64, want: 0},
		"bare LF":          {in: "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", size: 64, want: 0},
		"arrives in parts": {in: "HTTP/1.1 200 OK\r\n\r\n", size: 32, want: 19},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			br := bufio.NewReaderSize(&oneByteReader{s: tc.in}, tc.size)
			got, err := peekResponseHead(br)
			if err != nil || got != tc.want {
				t.Errorf("peekResponseHead = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// oneByteReader returns its string a byte per Read, as a slow upstream
// might.
type oneByteReader struct{ s string }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:1], r.s)
	r.s = r.s[n:]
	return n, nil
}
