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

// Terminal control sequences of the live view.
const (
	altScreenOn  = "\x1b[?1049h\x1b[?25l" // the alternate screen, cursor hidden
	altScreenOff = "\x1b[?25h\x1b[?1049l"
	clearScreen  = "\x1b[H\x1b[2J"
)

// liveView shows a running release. On a terminal it draws the tree on
// the alternate screen, under a header with the addresses people need
// (the proxy, the dashboard), and redraws only what changed; the normal
// screen, with the URLs printed at start, is back at the end. Elsewhere
// (CI logs, pipes) it prints each decision as a line, and a status line
// when the release moved (phase, step, weight) or, while it waits, once a
// minute.
type liveView struct {
	out     io.Writer
	tty     bool
	header  []string
	quietly time.Duration

	mu       sync.Mutex
	onAlt    bool
	drawn    string
	drawnAt  time.Time
	lineKey  string
	lineAt   time.Time
	snapshot *release.View
}

func newLiveView(out io.Writer) *liveView {
	return &liveView{out: out, tty: isTerminal(out), quietly: time.Minute}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// addHeader keeps a line (such as the dashboard's URL) at the top of the
// redrawn tree.
func (v *liveView) addHeader(line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.header = append(v.header, line)
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

// update takes a new view and shows it if it changed.
func (v *liveView) update(s *release.View) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.snapshot = s
	now := time.Now()
	if v.tty {
		v.redraw(s, now)
		return
	}
	key := progressKey(s)
	if key != v.lineKey || now.Sub(v.lineAt) >= v.quietly {
		v.lineKey, v.lineAt = key, now
		fmt.Fprintf(v.out, "%s  %s\n", now.Format("15:04:05"), statusLine(s))
	}
}

// progressKey is what makes a status line worth printing: where the
// release stands, not its live figures.
func progressKey(s *release.View) string {
	st := s.Release.Status
	return fmt.Sprintf("%s/%s/%d/%d", s.Release.Name, st.Phase, st.StepIndex, st.CanaryWeight)
}

// redraw draws the tree on the alternate screen when it changed, at most
// five times a second.
func (v *liveView) redraw(s *release.View, now time.Time) {
	if now.Sub(v.drawnAt) < 200*time.Millisecond {
		return
	}
	var b bytes.Buffer
	for _, h := range v.header {
		b.WriteString(h + "\n")
	}
	if len(v.header) > 0 {
		b.WriteString("\n")
	}
	renderRelease(&b, s, now, 8)
	frame := b.String()
	if frame == v.drawn {
		return
	}
	v.drawn, v.drawnAt = frame, now
	if !v.onAlt {
		v.onAlt = true
		_, _ = io.WriteString(v.out, altScreenOn)
	}
	_, _ = io.WriteString(v.out, clearScreen+frame)
}

// final leaves the alternate screen and prints the full tree once, where
// it stays in the scrollback.
func (v *liveView) final() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.onAlt {
		_, _ = io.WriteString(v.out, altScreenOff)
		v.onAlt = false
	}
	if v.snapshot == nil {
		return
	}
	renderRelease(v.out, v.snapshot, time.Now(), 8)
	fmt.Fprintln(v.out)
}
