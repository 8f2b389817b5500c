package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/sampleapp"
)

// Version overrides the module version read from the build info, for
// builds that want another name: -ldflags "-X
// sluice.dev/sluice/internal/cli.Version=v0.1.0". Left empty, `sluice
// version` says what `go build` or `go install` recorded.
var Version = ""

func newVersionCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of sluice: module version, commit, build date",
		Example: `  sluice version
  sluice v0.3.1 (commit 3c35e9c0d1ab, 2026-05-01T12:00:00Z) go1.26.8 linux/amd64
  sluice version -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			bi, ok := debug.ReadBuildInfo()
			v := readBuildVersion(bi, ok, Version)
			switch output {
			case "":
				fmt.Fprintln(g.out, v.String())
				return nil
			case "json":
				enc := json.NewEncoder(g.out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(v); err != nil {
					return fmt.Errorf("printing the version: %w", err)
				}
				return nil
			default:
				return fmt.Errorf("--output %q: want json, or nothing for one line", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json: print the fields as JSON")
	return cmd
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
