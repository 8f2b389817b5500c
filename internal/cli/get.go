package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

func newGetCommand(g *globals) *cobra.Command {
	var (
		watch, secrets bool
		output         string
		every          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "get [NAME]",
		Short: "Show a release as a tree (live with --watch), or list releases",
		Example: `  sluice get                      # list local releases
  sluice get my-api --watch       # live tree with progress bars
  sluice get my-api -o json       # full status for scripts`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listReleases(g, cmd, g.source(cmd, ""))
			}
			name := args[0]
			src := g.source(cmd, name)
			if lc, ok := src.(*local.Client); ok {
				lc.Secrets = secrets // the runner gives them only with the token
			}
			for {
				s, live, err := src.Get(cmd.Context(), name)
				if err != nil {
					return err
				}
				if !secrets {
					s = s.Redact()
				}
				if err := printSnapshot(g, s, live, output, watch); err != nil {
					return err
				}
				if !watch || (!live && s.Release.Status.Phase.Terminal()) {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(every):
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep showing the release as it changes")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (the release view)")
	cmd.Flags().BoolVar(&secrets, "show-secrets", false, "show the versions' environment and the webhook and alert URLs (redacted by default)")
	cmd.Flags().DurationVar(&every, "interval", time.Second, "how often --watch refreshes")
	return cmd
}

func printSnapshot(g *globals, s *release.View, live bool, output string, watch bool) error {
	switch output {
	case "json":
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		fmt.Fprintln(g.out, string(b))
		return nil
	case "yaml":
		b, err := yaml.Marshal(s)
		if err != nil {
			return fmt.Errorf("encoding: %w", err)
		}
		fmt.Fprintln(g.out, "---")
		fmt.Fprint(g.out, string(b))
		return nil
	case "":
	default:
		return fmt.Errorf("--output %q: use json or yaml", output)
	}
	var b bytes.Buffer
	if watch && isTerminal(g.out) {
		b.WriteString("\x1b[H\x1b[2J")
	}
	renderRelease(&b, s, time.Now(), 8)
	if !live {
		fmt.Fprintf(&b, "\n(not running: last saved %s)\n", s.UpdatedAt.Local().Format(time.DateTime))
	}
	if watch && !isTerminal(g.out) {
		b.WriteString("---\n")
	}
	if _, err := g.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

func listReleases(g *globals, cmd *cobra.Command, src releaseSource) error {
	snaps, err := src.List(cmd.Context())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(g.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPHASE\tSTEP\tWEIGHT\tFAILED\tUPDATED")
	for _, s := range snaps {
		st := s.Release.Status
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d%%\t%d\t%s\n", s.Release.Name, st.Phase, min(st.StepIndex+1, st.StepCount), st.StepCount, st.CanaryWeight, st.Analysis.FailedChecks, s.UpdatedAt.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
