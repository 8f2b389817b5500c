package proxy

import (
	"bytes"
	"errors"
)

// chunkFollower follows a chunked body through its chunks as it passes
// through the gate (gate.go), to find where it ends and the next head
// begins. It reads the encoding as net/http's chunked reader does, and
// where the two could differ it is stricter: it fails rather than
// disagree, since a body the gate took to be longer than net/http did
// would let net/http read a head the gate never screened (FuzzChunkFollower
// checks both against each other). A failure makes net/http's read of the
// body fail, which the proxy answers 400 (reqbody.go).
type chunkFollower struct {
	st      chunkState
	line    []byte // the size or trailer line being read, or the CRLF after data
	left    int64  // data bytes of the current chunk not yet passed
	trailer int    // trailer bytes read
}

type chunkState uint8

const (
	csSize    chunkState = iota // reading a chunk-size line
	csData                      // passing chunk data
	csDataEnd                   // reading the CRLF after chunk data
	csTrailer                   // reading trailer lines, up to the empty one
)

// Bounds of what the follower reads: net/http's line limit, and the
// trailer section net/http reads, which must end within its 4 KiB buffer.
const (
	maxChunkLine    = 4096
	maxTrailerBytes = 4000
)

var errBadChunk = errors.New("invalid chunked encoding")

// scan consumes b, the next bytes of the body, and returns how many of
// them belong to it: all of b, or fewer when the body ends inside b (done).
func (f *chunkFollower) scan(b []byte) (n int, done bool, err error) {
	for n < len(b) {
		switch f.st {
		case csData:
			k := int(min(f.left, int64(len(b)-n)))
			n += k
			if f.left -= int64(k); f.left == 0 {
				f.st = csDataEnd
			}
		case csDataEnd:
			f.line = append(f.line, b[n])
			n++
			if len(f.line) == 2 {
				if string(f.line) != "\r\n" {
					return n, false, errBadChunk
				}
				f.line, f.st = f.line[:0], csSize
			}
		default: // csSize, csTrailer: a line, up to its LF
			i := bytes.IndexByte(b[n:], '\n')
			if i < 0 {
				f.line = append(f.line, b[n:]...)
				n = len(b)
				if len(f.line) >= maxChunkLine {
					return n, false, errBadChunk
				}
				continue
			}
			f.line = append(f.line, b[n:n+i+1]...)
			n += i + 1
			line := f.line
			f.line = f.line[:0]
			// A line ends in CRLF, with no other CR (as net/http's
			// readChunkLine has it).
			if len(line) < 2 || line[len(line)-2] != '\r' || bytes.IndexByte(line, '\r') != len(line)-2 || len(line) > maxChunkLine {
				return n, false, errBadChunk
			}
			if f.st == csTrailer {
				if f.trailer += len(line); f.trailer > maxTrailerBytes {
					return n, false, errBadChunk
				}
				if len(line) == 2 {
					*f = chunkFollower{line: f.line}
					return n, true, nil
				}
				if !validTrailerLine(line[:len(line)-2]) {
					return n, false, errBadChunk
				}
				continue
			}
			size, ok := chunkLineSize(line[:len(line)-2])
			switch {
			case !ok:
				return n, false, errBadChunk
			case size == 0:
				f.st = csTrailer
			default:
				f.st, f.left = csData, size
			}
		}
	}
	return n, false, nil
}

// chunkLineSize reads a chunk-size line without its CRLF as net/http does
// — trailing whitespace trimmed, an extension cut off at ';', then 1 to
// 16 hex digits — and, stricter, takes only token bytes, '=', '"',
// whitespace and ';' in an extension.
func chunkLineSize(line []byte) (int64, bool) {
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	hex, ext, _ := bytes.Cut(line, []byte(";"))
	for _, c := range ext {
		if !tokenChars[c] && c != '=' && c != '"' && c != ' ' && c != '\t' && c != ';' {
			return 0, false
		}
	}
	if len(hex) == 0 || len(hex) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range hex {
		d, ok := hexDigit(c)
		if !ok {
			return 0, false
		}
		n = n<<4 | uint64(d)
	}
	if n > 1<<62 {
		return 0, false
	}
	return int64(n), true
}

// validTrailerLine accepts a trailer field line that net/http's MIME
// reader takes as it is: a token name, a colon, and a value of visible
// ASCII, whitespace or obs-text. Obs-fold, which it would join to the line
// before, is refused.
func validTrailerLine(line []byte) bool {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok || !validName(string(name)) {
		return false
	}
	for _, c := range value {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
