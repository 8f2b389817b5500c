package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/release"
)

// TestLiveViewInAPipe: in a log, a status line is printed when the release
// moves, not when only its live figures change; while it waits, at most
// once per quiet interval.
func TestLiveViewInAPipe(t *testing.T) {
	var out bytes.Buffer
	v := newLiveView(&out)
	if v.tty {
		t.Fatal("a buffer is not a terminal")
	}
	view := func(phase v1alpha1.Phase, step, weight int32, rps float64) *release.View {
		rel := &v1alpha1.Release{}
		rel.Name = "api"
		rel.Status = v1alpha1.ReleaseStatus{Phase: phase, StepIndex: step, StepCount: 3, CanaryWeight: weight}
		rv := release.NewView(rel, "v1", "v2", time.Now())
		rv.Versions[1].RPS = rps
		return rv
	}
	steps := []struct {
		view  *release.View
		quiet time.Duration
		lines int
	}{
		{view: view(v1alpha1.PhaseProgressing, 0, 10, 5), quiet: time.Hour, lines: 1},
		{view: view(v1alpha1.PhaseProgressing, 0, 10, 7), quiet: time.Hour, lines: 1}, // only the rate moved
		{view: view(v1alpha1.PhasePaused, 1, 10, 7), quiet: time.Hour, lines: 2},
		{view: view(v1alpha1.PhasePaused, 1, 10, 9), quiet: time.Hour, lines: 2},
		{view: view(v1alpha1.PhasePaused, 1, 10, 9), quiet: 0, lines: 3}, // the quiet interval passed
		{view: view(v1alpha1.PhaseProgressing, 2, 50, 9), quiet: time.Hour, lines: 4},
	}
	for i, s := range steps {
		v.quietly = s.quiet
		v.update(s.view)
		if got := strings.Count(out.String(), "\n"); got != s.lines {
			t.Fatalf("after update %d: %d lines, want %d:\n%s", i, got, s.lines, out.String())
		}
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("terminal sequences in a pipe:\n%q", out.String())
	}
}
