package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// phaseIcon gives each phase a glyph, as people scan for them.
var phaseIcon = map[v1alpha1.Phase]string{
	v1alpha1.PhaseInitializing: "◌", v1alpha1.PhaseWaiting: "◌",
	v1alpha1.PhaseProgressing: "◐", v1alpha1.PhasePaused: "॥",
	v1alpha1.PhasePromoting: "◑", v1alpha1.PhasePromoted: "✔",
	v1alpha1.PhaseRollingBack: "↺", v1alpha1.PhaseRolledBack: "✖",
}

// bar draws a progress bar of width cells for a share in 0..1.
func bar(share float64, width int) string {
	share = max(0, min(1, share))
	full := int(share*float64(width) + 0.5)
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "]"
}

// renderRelease writes the tree view of one release: header, weight bar,
// versions, steps with the current one marked, and the latest decisions.
func renderRelease(w io.Writer, s *release.View, now time.Time, decisions int) {
	rel := &s.Release
	st := rel.Status
	plan := engine.NewPlan(rel.Spec)
	fmt.Fprintf(w, "Name:       %s\n", rel.Name)
	fmt.Fprintf(w, "Phase:      %s %s\n", icon(st.Phase), orDash(string(st.Phase)))
	if st.Message != "" {
		fmt.Fprintf(w, "Message:    %s\n", st.Message)
	}
	step := "-"
	if n := len(plan.Steps); int(st.StepIndex) < n {
		step = fmt.Sprintf("%d/%d  %s", st.StepIndex+1, n, plan.Steps[st.StepIndex])
	} else if n > 0 {
		step = fmt.Sprintf("%d/%d  done", n, n)
	}
	fmt.Fprintf(w, "Step:       %s\n", step)
	fmt.Fprintf(w, "Weight:     %s %3d%% canary · %d%% stable\n", bar(float64(st.CanaryWeight)/100, 30), st.CanaryWeight, 100-st.CanaryWeight)
	a := st.Analysis
	fmt.Fprintf(w, "Analysis:   %d passed · %d/%d failed", a.PassedChecks, a.FailedChecks, plan.Threshold)
	if a.NoDataSince != nil {
		fmt.Fprintf(w, " · no data for %s", now.Sub(a.NoDataSince.Time).Round(time.Second))
	}
	fmt.Fprintln(w)
	for _, m := range a.Metrics {
		fmt.Fprintf(w, "            %s %s\n", verdictIcon(m.Verdict), m.Message)
	}
	if s.Judge != nil {
		fmt.Fprintf(w, "Judge:      %s — %s\n", s.Judge.Decision, s.Judge.Reason)
	}
	if s.ProxyAddress != "" {
		fmt.Fprintf(w, "Proxy:      %s\n", s.ProxyAddress)
	}
	fmt.Fprintln(w)
	renderTree(w, s)
	fmt.Fprintln(w)
	renderSteps(w, plan, st, now)
	renderDecisions(w, st.History, decisions)
}

func renderTree(w io.Writer, s *release.View) {
	st := s.Release.Status
	fmt.Fprintf(w, "%s %s  Release  %s\n", icon(st.Phase), s.Release.Name, orDash(string(st.Phase)))
	for i, v := range s.Versions {
		branch := "├──"
		if i == len(s.Versions)-1 {
			branch = "└──"
		}
		ready := "✖ NotReady"
		switch {
		case v.Ready:
			ready = "✔ Ready"
		case !v.Running && v.Weight == 0:
			ready = "■ Stopped"
		}
		if v.Ejected {
			ready = "⚠ Ejected"
		}
		label := v.Name
		if v.Version != "" {
			label += " (" + v.Version + ")"
		}
		fmt.Fprintf(w, "%s %-16s %-11s %s %4d%%  %7.1f req/s  %8s  p99 %7s  %s\n",
			branch, label, ready, bar(float64(v.Weight)/100, 10), v.Weight, v.RPS, pct(v.SuccessRate), millis(v.P99Millis), v.URL)
	}
}

func renderSteps(w io.Writer, plan engine.Plan, st v1alpha1.ReleaseStatus, now time.Time) {
	fmt.Fprintln(w, "Steps:")
	for i, s := range plan.Steps {
		mark := "  "
		switch {
		case int32(i) < st.StepIndex || st.Phase == v1alpha1.PhasePromoted:
			mark = "✔ "
		case int32(i) == st.StepIndex && st.Phase == v1alpha1.PhaseRolledBack:
			mark = "✖ "
		case int32(i) == st.StepIndex:
			mark = "▶ "
		}
		line := fmt.Sprintf("  %s%2d. %s", mark, i+1, s)
		if int32(i) == st.StepIndex && !st.Phase.Terminal() {
			line += stepProgress(s, plan, st, now)
		}
		fmt.Fprintln(w, line)
	}
}

// stepProgress shows how far a waiting step has come: a countdown for a
// pause, the checks for an analysis step, the time to the next check.
func stepProgress(s engine.PlanStep, plan engine.Plan, st v1alpha1.ReleaseStatus, now time.Time) string {
	switch s.Kind {
	case engine.StepPause:
		if s.Duration == 0 || st.StepStartedAt == nil {
			return "   waiting for `sluice promote`"
		}
		el := now.Sub(st.StepStartedAt.Time)
		left := max(0, s.Duration-el).Round(time.Second)
		return fmt.Sprintf("   %s %s left", bar(float64(el)/float64(s.Duration), 16), left)
	case engine.StepAnalysis:
		next := ""
		if last := st.Analysis.LastCheckAt; last != nil {
			el := now.Sub(last.Time)
			next = fmt.Sprintf(", next check in %s", max(0, plan.Interval-el).Round(time.Second))
		}
		return fmt.Sprintf("   %s %d/%d checks passed%s", bar(float64(st.Analysis.ConsecutivePasses)/float64(max(1, s.Passes)), 16), st.Analysis.ConsecutivePasses, s.Passes, next)
	}
	return ""
}

func renderDecisions(w io.Writer, h []v1alpha1.Decision, n int) {
	if n <= 0 || len(h) == 0 {
		return
	}
	fmt.Fprintln(w, "Decisions:")
	for _, d := range h[max(0, len(h)-n):] {
		fmt.Fprintf(w, "  %s  %s\n", d.Time.Local().Format("15:04:05"), decisionLine(d))
	}
}

func decisionLine(d v1alpha1.Decision) string {
	warn := ""
	if d.Warning {
		warn = "⚠ "
	}
	return fmt.Sprintf("%-16s %s%s", d.Reason, warn, d.Message)
}

// statusLine is the one-line form used when output is not a terminal.
func statusLine(s *release.View) string {
	st := s.Release.Status
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-11s step %d/%d weight %3d%%", s.Release.Name, st.Phase, min(st.StepIndex+1, st.StepCount), st.StepCount, st.CanaryWeight)
	for _, v := range s.Versions {
		fmt.Fprintf(&b, " | %s %.0f req/s %s p99 %s", v.Name, v.RPS, pct(v.SuccessRate), millis(v.P99Millis))
	}
	return b.String()
}

func icon(p v1alpha1.Phase) string {
	if i, ok := phaseIcon[p]; ok {
		return i
	}
	return "?"
}

func verdictIcon(v v1alpha1.CheckVerdict) string {
	switch v {
	case v1alpha1.VerdictPass:
		return "✔"
	case v1alpha1.VerdictFail:
		return "✖"
	}
	return "…"
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", *p)
}

func millis(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.0fms", *p)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
