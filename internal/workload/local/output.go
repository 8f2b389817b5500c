package local

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// maxLine bounds one buffered output line so a child printing without
// newlines cannot grow memory without end.
const maxLine = 64 << 10

// tailLines is how many lines of stderr are kept for start errors.
const tailLines = 20

// lineWriter splits a child's output into lines, prefixes each with the
// version's name and writes whole lines to dst under a lock shared by all
// children, so stable and canary lines never interleave mid-line. It also
// keeps the last lines for error messages.
type lineWriter struct {
	prefix string      // guarded by mu
	dst    io.Writer   // may be nil: lines are only kept in the tail
	dstMu  *sync.Mutex // shared between all writers of one driver

	mu   sync.Mutex
	buf  []byte
	tail []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.emit(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// setPrefix changes the prefix of the lines to come.
func (w *lineWriter) setPrefix(prefix string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prefix = prefix
}

// flush emits an unterminated last line once the child is gone.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimSuffix(line, "\r")
	w.tail = append(w.tail, line)
	if len(w.tail) > tailLines {
		w.tail = w.tail[len(w.tail)-tailLines:]
	}
	if w.dst == nil {
		return
	}
	w.dstMu.Lock()
	defer w.dstMu.Unlock()
	// Output is best effort: a broken terminal must not stop a release.
	_, _ = io.WriteString(w.dst, w.prefix+line+"\n")
}

// lastLines returns the kept lines, oldest first.
func (w *lineWriter) lastLines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append([]string(nil), w.tail...)
	if len(w.buf) > 0 {
		out = append(out, string(w.buf))
	}
	return out
}
