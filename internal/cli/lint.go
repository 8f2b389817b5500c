package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/engine"
)

func newLintCommand(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "lint -f FILE [-f FILE...]",
		Short: "Check release files: every error with its field path; exit 1 if any",
		Example: `  sluice lint -f examples/local/release.yaml
  examples/local/release.yaml: ok: 7 steps (setWeight 10 → 50), 2 metrics every 10s, rollback after 3 failed checks`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var failed bool
			for _, f := range files {
				rel, err := loadRelease(cmd.Context(), f, cmd.InOrStdin())
				if cmd.Context().Err() != nil {
					return cmd.Context().Err() //nolint:wrapcheck // Execute turns an interruption into exit 130
				}
				if err != nil {
					failed = true
					fmt.Fprintln(g.out, err)
					continue
				}
				fmt.Fprintf(g.out, "%s: ok: %s\n", f, planSummary(engine.NewPlan(rel.Spec), len(rel.Spec.Analysis.Metrics)))
			}
			if failed {
				return codeError{err: fmt.Errorf("invalid release file(s)"), code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "Release file (YAML or JSON; - for standard input); repeatable")
	_ = cmd.MarkFlagRequired("file")
	_ = cmd.MarkFlagFilename("file", releaseFileExtensions...)
	return cmd
}

// planSummary says in one line what a release will do.
func planSummary(p engine.Plan, metrics int) string {
	var weights []string
	pauses := 0
	for _, s := range p.Steps {
		switch s.Kind {
		case engine.StepSetWeight:
			weights = append(weights, fmt.Sprint(s.Weight))
		case engine.StepPause:
			pauses++
		}
	}
	parts := []string{fmt.Sprintf("%d steps", len(p.Steps))}
	if len(weights) > 0 {
		parts[0] += fmt.Sprintf(" (weights %s%%)", strings.Join(weights, " → "))
	}
	if pauses > 0 {
		parts = append(parts, fmt.Sprintf("%d pause(s)", pauses))
	}
	if metrics > 0 {
		parts = append(parts, fmt.Sprintf("%d metric(s) every %s, rollback after %d failed checks", metrics, p.Interval, p.Threshold))
	} else {
		parts = append(parts, "no analysis")
	}
	return strings.Join(parts, ", ") + ", then promote"
}
