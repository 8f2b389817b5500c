package proxy

// Chunked request bodies on the own server. A client that does not know its
// body's length up front (Go's http.Client with a plain io.Reader, Node's
// http.request written in pieces) sends it chunked. Like nginx, which
// buffers a request body before proxying it, the own server reads a small
// chunked body whole and forwards it with a Content-Length: the upstream
// sees one plain request, and the bytes on the wire are still exactly
// those net/http would read as this request (FuzzH1Chunked checks it).
//
// Only the plainest form is read: hex sizes of at most maxChunkSizeDigits
// digits, no chunk extensions, no trailer fields, CRLF line ends. A body
// that is not chunked encoding at all (a size that is no number, bare CR
// or LF, data not ended by CRLF) is refused with 400 before anything is
// sent upstream, as nginx does; anything else — valid but not plain, or a
// body over maxH1Body — stays net/http's, as before.

// maxChunkSizeDigits bounds a chunk-size line; maxH1Body needs four.
const maxChunkSizeDigits = 8

// maxChunkedWire bounds the encoding of a chunked body the own server
// buffers: after the longest head it still fits a lent body buffer
// (readBody reads one byte more than it has until the body is complete).
const maxChunkedWire = bodyBufSize - maxHeadBuffer - 1

// chunkScan is what scanChunked found.
type chunkScan int

const (
	chunkMore     chunkScan = iota // valid so far; more bytes are needed
	chunkComplete                  // a whole body, last chunk and all
	chunkRefused                   // valid perhaps, but not plain: net/http's
	chunkInvalid                   // not chunked encoding: refused with 400
)

// scanChunked reads a chunked body at the start of b. When complete, body
// is its decoded length and wire the length of its encoding in b. A body
// it finds invalid is one net/http fails to read too (FuzzH1Chunked): a
// size line that does not start with a hex digit or has a bare CR or LF,
// or chunk data not followed by CRLF.
func scanChunked(b []byte) (st chunkScan, body, wire int) {
	i := 0
	for {
		size, n, st := chunkSize(b[i:])
		switch {
		case st != chunkMore:
			return st, 0, 0
		case n == 0:
			return chunkMore, 0, 0
		}
		i += n
		if size == 0 {
			// The last chunk: no trailer fields, just the final CRLF.
			switch {
			case len(b)-i < 2:
				if len(b) > i && b[i] != '\r' {
					return chunkRefused, 0, 0
				}
				return chunkMore, 0, 0
			case b[i] != '\r' || b[i+1] != '\n':
				return chunkRefused, 0, 0
			}
			return chunkComplete, body, i + 2
		}
		if body += size; body > maxH1Body {
			return chunkRefused, 0, 0
		}
		if len(b)-i < size+2 {
			if len(b)-i > size && b[i+size] != '\r' {
				return chunkInvalid, 0, 0
			}
			return chunkMore, 0, 0
		}
		if b[i+size] != '\r' || b[i+size+1] != '\n' {
			return chunkInvalid, 0, 0
		}
		i += size + 2
	}
}

// chunkSize reads a chunk-size line, "1*HEXDIG CRLF", at the start of b: n
// is its length with the CRLF, 0 while it is incomplete (st chunkMore). A
// size line with an extension or whitespace, or more digits than the own
// server reads, is chunkRefused; one net/http cannot read (among them a
// size of more than 16 digits), chunkInvalid.
func chunkSize(b []byte) (size, n int, st chunkScan) {
	for i, ch := range b {
		d, isHex := hexDigit(ch)
		switch {
		case isHex && i == maxHexDigits:
			return 0, 0, chunkInvalid // net/http: "http chunk length too large"
		case isHex:
			size = size<<4 | d
			continue
		case i == 0:
			return 0, 0, chunkInvalid // no size: net/http cannot parse it
		case ch == ';' || ch == ' ' || ch == '\t':
			return 0, 0, chunkRefused // an extension, or whitespace before one
		case ch != '\r':
			return 0, 0, chunkInvalid // a bare LF, or a byte in the size
		case i+1 == len(b):
			return 0, 0, chunkMore
		case b[i+1] != '\n':
			return 0, 0, chunkInvalid // a bare CR
		case i > maxChunkSizeDigits:
			return 0, 0, chunkRefused // leading zeros, perhaps: net/http's
		}
		return size, i + 2, chunkMore
	}
	return 0, 0, chunkMore
}

// maxHexDigits is the longest chunk size net/http reads.
const maxHexDigits = 16

func hexDigit(ch byte) (int, bool) {
	switch {
	case '0' <= ch && ch <= '9':
		return int(ch - '0'), true
	case 'a' <= ch && ch <= 'f':
		return int(ch-'a') + 10, true
	case 'A' <= ch && ch <= 'F':
		return int(ch-'A') + 10, true
	}
	return 0, false
}

// decodeChunked moves the data of the complete chunked body that
// scanChunked accepted at the start of b to the start of b, and returns
// its length. The encoding is overwritten.
func decodeChunked(b []byte) int {
	i, out := 0, 0
	for {
		size, n, _ := chunkSize(b[i:])
		i += n
		if size == 0 {
			return out
		}
		out += copy(b[out:], b[i:i+size])
		i += size + 2
	}
}
