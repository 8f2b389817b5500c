package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

func newLintCommand(g *globals) *cobra.Command {
	var (
		files     []string
		recursive bool
	)
	cmd := &cobra.Command{
		Use:   "lint FILE|DIR|GLOB... [-f FILE...]",
		Short: "Check release files: every error with its field path; exit 1 if any",
		Long: `Check release files: every error with its field path, with what was probably
meant for a misspelt or misplaced field, and warnings for values that are valid
but unlikely (a success rate of 0.99 percent). Exit 1 if any file has an error.

Files may hold several documents: every Release in them is checked and other
objects (Deployments, Services, what sluice convert writes beside the Release)
are skipped. A directory means its .yaml, .yml and .json files (-R: and those
of its subdirectories); a quoted pattern is expanded as a glob; - is standard
input.`,
		Example: `  sluice lint examples/local/release.yaml
  examples/local/release.yaml: ok: 7 steps (weights 10 → 30 → 50%), 2 metric(s) every 10s, rollback after 3 failed checks, then promote
  sluice lint examples/kubernetes/
  sluice lint 'deploy/*/release.yaml'
  sluice convert -f canary.yaml | sluice lint -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs, err := lintInputs(append(args, files...), recursive)
			if err != nil {
				return err
			}
			failed, found := false, 0
			for _, in := range inputs {
				data, err := readReleaseFile(cmd.Context(), in.path, cmd.InOrStdin())
				if cmd.Context().Err() != nil {
					return cmd.Context().Err() //nolint:wrapcheck // Execute turns an interruption into exit 130
				}
				if err != nil {
					failed = true
					fmt.Fprintln(g.out, err)
					continue
				}
				n, ok := lintFile(g, in, data)
				found += n
				failed = failed || !ok
			}
			if found == 0 && !failed {
				return codeError{err: fmt.Errorf("no Release in %d file(s)", len(inputs)), code: exitFailed}
			}
			if failed {
				return codeError{err: errors.New("invalid release file(s)"), code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "file", "f", nil, "Release file (YAML or JSON; - for standard input); repeatable")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "lint the files of subdirectories of a directory too")
	_ = cmd.MarkFlagFilename("file", releaseFileExtensions...)
	return cmd
}

// lintFile checks every Release of one file and prints the result; it
// returns how many Releases it checked and whether the file is free of
// errors.
func lintFile(g *globals, in lintInput, data []byte) (int, bool) {
	docs := classifyDocuments(data, in.explicit)
	var releases []lintDocument
	var others []string
	for _, d := range docs {
		if d.release {
			releases = append(releases, d)
		} else {
			others = append(others, d.what)
		}
	}
	switch {
	case len(docs) == 0:
		fmt.Fprintf(g.out, "%s: the file is empty: it holds no Release\n", in.path)
		return 0, !in.explicit
	case len(releases) == 0 && in.explicit:
		fmt.Fprintf(g.out, "%s: holds no Release, only %s\n", in.path, strings.Join(others, ", "))
		return 0, false
	case len(releases) == 0:
		return 0, true // a directory's Deployment or kustomization.yaml
	}
	ok := true
	for _, d := range releases {
		name := in.path
		if len(docs) > 1 {
			name = fmt.Sprintf("%s (document %d)", in.path, d.index)
		}
		rel, err := checkRelease(name, d.data)
		if err != nil {
			ok = false
			fmt.Fprintln(g.out, err)
			continue
		}
		fmt.Fprintf(g.out, "%s: ok: %s\n", name, planSummary(engine.NewPlan(rel.Spec), len(rel.Spec.Analysis.Metrics)))
		for _, w := range rel.Warnings() {
			fmt.Fprintf(g.out, "  warning: %s\n", v1alpha1.FormatError(w))
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(g.out, "%s: skipped %s (not a Release)\n", in.path, strings.Join(others, ", "))
	}
	return len(releases), ok
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
