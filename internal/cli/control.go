package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/local"
)

// controlCommand is one of the commands that act on a running release.
type controlCommand struct {
	use, short, long string
}

var controlCommands = []controlCommand{
	{use: "promote", short: "Move a release past its current step (a pause or an analysis)", long: `Promote moves the release past its current step: it ends a pause, indefinite or
not, and an analysis gate. With --full it skips every remaining step and
promotes the canary now. Promoting also resumes a paused release.`},
	{use: "abort", short: "Roll a release back now: all traffic to stable", long: `Abort sends all traffic back to stable and scales the canary down; the release
ends RolledBack.`},
	{use: "pause", short: "Hold a release at its current step (analysis keeps running)"},
	{use: "resume", short: "Carry on with a paused release"},
	{use: "retry", short: "Start a rolled-back release again from its first step"},
}

func newControlCommand(g *globals, c controlCommand) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:               c.use + " NAME",
		Short:             c.short,
		Long:              c.long,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeReleases(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			verb := c.use
			if full {
				verb = "promote-full"
			}
			src := g.source(cmd, args[0])
			note, err := commandNote(cmd.Context(), src, args[0], verb)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.use, args[0], err)
			}
			if note != "" {
				defer fmt.Fprintf(g.out, "note: %s\n", note)
			}
			if lc, ok := src.(*local.Client); ok {
				_, queued, err := lc.CommandOrQueue(cmd.Context(), args[0], verb)
				if err != nil {
					return fmt.Errorf("%s %s: %w", c.use, args[0], err)
				}
				if queued {
					fmt.Fprintf(g.out, "release %s: %s queued; no `sluice run` runs it now, and the next one (sluice run -f FILE) applies it first\n", args[0], verb)
					return nil
				}
				fmt.Fprintf(g.out, "release %s: %s requested\n", args[0], verb)
				return nil
			}
			if _, err := src.Command(cmd.Context(), args[0], verb); err != nil {
				return fmt.Errorf("%s %s: %w", c.use, args[0], err)
			}
			fmt.Fprintf(g.out, "release %s: %s requested\n", args[0], verb)
			return nil
		},
	}
	if c.use == "promote" {
		cmd.Flags().BoolVar(&full, "full", false, "skip every remaining step and promote now")
	}
	return cmd
}

// commandNote reads the release before a command is sent: a command its
// phase would take and do nothing with is refused with the reason (as
// kubectl refuses to resume what is not paused), and a pause given
// between releases says that it holds the next one. A release that cannot
// be read is left to the command itself to report.
func commandNote(ctx context.Context, src releaseSource, name, verb string) (string, error) {
	v, _, err := src.Get(ctx, name)
	if err != nil || v == nil {
		return "", nil //nolint:nilerr // the command reports a missing release itself
	}
	phase := v.Release.Status.Phase
	between := phase == "" || phase.Terminal() || phase == v1alpha1.PhaseWaiting || phase == v1alpha1.PhaseInitializing
	switch verb {
	case "pause":
		if v.Release.Spec.Paused {
			return "", fmt.Errorf("%w: the release is paused already", engine.ErrCommandNotApplicable)
		}
		if between {
			return fmt.Sprintf("the release is %s: the next release will start paused, until `sluice resume %s`", orInitializing(phase), name), nil
		}
		return "", nil
	case "resume":
		if !v.Release.Spec.Paused {
			return "", fmt.Errorf("%w: the release is not paused", engine.ErrCommandNotApplicable)
		}
		return "", nil
	}
	k, ok := engine.ParseCommandKind(verb)
	if !ok {
		return "", fmt.Errorf("unknown command %q", verb)
	}
	if err := engine.CommandApplies(k, phase); err != nil {
		return "", err //nolint:wrapcheck // the caller names the command and the release
	}
	return "", nil
}

func orInitializing(p v1alpha1.Phase) v1alpha1.Phase {
	if p == "" {
		return v1alpha1.PhaseInitializing
	}
	return p
}
