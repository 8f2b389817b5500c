package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// completeReleases completes a release name from wherever `get` would
// look: the local state dir, or the cluster when one is configured.
func completeReleases(g *globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		views, err := g.source(cmd, "").List(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		var names []string
		for _, v := range views {
			if strings.HasPrefix(v.Release.Name, toComplete) {
				names = append(names, v.Release.Name)
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// releaseFileExtensions are what -f completes to.
var releaseFileExtensions = []string{"yaml", "yml", "json"}
