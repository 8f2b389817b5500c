package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/sampleapp"
)

// Version is set at build time with -ldflags "-X sluice.dev/sluice/internal/cli.Version=v0.1.0".
var Version = "dev"

func newVersionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of sluice",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = " " + s.Value
					}
				}
			}
			fmt.Fprintf(g.out, "sluice %s%s %s %s/%s\n", Version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}

// newAppCommand runs the built-in sample app, so the demo and the examples
// need nothing but the sluice binary.
func newAppCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "app [flags]",
		Short:              "Run the built-in sample app (used by the demo and examples)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return sampleapp.Run(cmd.Context(), args, cmd.OutOrStdout())
		},
	}
}
