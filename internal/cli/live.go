package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// liveView shows a running release. On a terminal it redraws the tree in
// place; elsewhere (CI logs, pipes) it prints each decision as a line and a
// status line every few seconds, so the output reads well as a log.
type liveView struct {
	out      io.Writer
	tty      bool
	mu       sync.Mutex
	last     time.Time
	every    time.Duration
	drawn    time.Time
	snapshot *release.View
}

func newLiveView(out io.Writer) *liveView {
	return &liveView{out: out, tty: isTerminal(out), every: 2 * time.Second}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// event prints a decision (non-terminal output only: a terminal shows the
// decisions inside the redrawn tree).
func (v *liveView) event(name string, ev engine.Event) {
	if v.tty {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	warn := ""
	if ev.Warning {
		warn = "⚠ "
	}
	phase := ""
	if ev.To != "" && ev.From != ev.To {
		phase = fmt.Sprintf(" [%s → %s]", orDash(string(ev.From)), ev.To)
	}
	fmt.Fprintf(v.out, "%s  %-14s %-16s %s%s%s\n", time.Now().Format("15:04:05"), name, ev.Reason, warn, ev.Message(), phase)
}

// update takes a new snapshot and redraws when it is time.
func (v *liveView) update(s *release.View) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.snapshot = s
	now := time.Now()
	if v.tty {
		if now.Sub(v.drawn) < 200*time.Millisecond {
			return
		}
		v.drawn = now
		var b bytes.Buffer
		b.WriteString("\x1b[H\x1b[2J")
		renderRelease(&b, s, now, 8)
		_, _ = v.out.Write(b.Bytes())
		return
	}
	if now.Sub(v.last) >= v.every {
		v.last = now
		fmt.Fprintf(v.out, "%s  %s\n", now.Format("15:04:05"), statusLine(s))
	}
}

// final prints the full tree once, at the end.
func (v *liveView) final() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.snapshot == nil {
		return
	}
	if v.tty {
		fmt.Fprint(v.out, "\x1b[H\x1b[2J")
	}
	renderRelease(v.out, v.snapshot, time.Now(), 8)
	fmt.Fprintln(v.out)
}
