package cli

import (
	"bytes"
	"fmt"
	"time"

	"github.com/spf13/cobra"

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
		Example: `  sluice get                      # list the releases (local ones, else the cluster's)
  sluice get my-api --watch       # live tree with progress bars
  sluice get my-api -o yaml       # the Release object, as kubectl shows it
  sluice get -o wide              # the list with revisions and messages`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeReleases(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := newPrinter(output, secrets)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return listReleases(g, cmd, g.source(cmd, ""), p)
			}
			name := args[0]
			src := g.source(cmd, name)
			if lc, ok := src.(*local.Client); ok {
				lc.Secrets = secrets // the runner gives them only with the token
			}
			var last []byte
			for {
				v, live, err := src.Get(cmd.Context(), name)
				if err != nil {
					return err
				}
				var b bytes.Buffer
				if err := printView(&b, g, p, v, live, watch); err != nil {
					return err
				}
				// --watch shows a release again only when it changed.
				if !bytes.Equal(b.Bytes(), last) {
					if _, err := g.out.Write(b.Bytes()); err != nil {
						return fmt.Errorf("writing output: %w", err)
					}
					last = b.Bytes()
				}
				if !watch || (!live && v.Release.Status.Phase.Terminal()) {
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
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json, yaml, name or wide (json and yaml print Release objects, as kubectl does)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().BoolVar(&secrets, "show-secrets", false, "show the versions' environment and the webhook and alert URLs (redacted by default)")
	cmd.Flags().DurationVar(&every, "interval", time.Second, "how often --watch looks for changes")
	return cmd
}

// printView prints one release in the chosen format: the tree view by
// default, else the Release object or its table row.
func printView(b *bytes.Buffer, g *globals, p *printer, v *release.View, live, watch bool) error {
	if !p.secrets {
		v = v.Redact()
	}
	if p.format != "" {
		return p.printOne(b, v)
	}
	if watch && isTerminal(g.out) {
		b.WriteString("\x1b[H\x1b[2J")
	}
	renderRelease(b, v, time.Now(), 8)
	if !live {
		fmt.Fprintf(b, "\n(not running: last saved %s)\n", v.UpdatedAt.Local().Format(time.DateTime))
	}
	if watch && !isTerminal(g.out) {
		b.WriteString("---\n")
	}
	return nil
}

func listReleases(g *globals, cmd *cobra.Command, src releaseSource, p *printer) error {
	views, err := src.List(cmd.Context())
	if err != nil {
		return err
	}
	for i, v := range views {
		if !p.secrets {
			views[i] = v.Redact()
		}
	}
	return p.printList(g.out, views)
}
