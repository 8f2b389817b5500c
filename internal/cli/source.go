package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

// releaseSource is where get and the control commands find releases: a
// local state dir, or a cluster.
type releaseSource interface {
	Get(ctx context.Context, name string) (*release.View, bool, error)
	List(ctx context.Context) ([]*release.View, error)
	Command(ctx context.Context, name, command string) (string, error)
}

var (
	_ releaseSource = (*local.Client)(nil)
	_ releaseSource = (*kubeReleases)(nil)
)

// source picks local or cluster: --local and --kube force one; otherwise a
// kubeconfig flag given on the command line means the cluster, a local
// state file of that name means local, and anything else the cluster.
func (g *globals) source(cmd *cobra.Command, name string) releaseSource {
	switch {
	case g.forceLocal:
		return g.client()
	case g.forceKube || g.kubeFlagsSet(cmd):
		return &kubeReleases{flags: g.kube}
	}
	if name == "" {
		if snaps, err := g.client().List(cmd.Context()); err == nil && len(snaps) > 0 {
			return g.client()
		}
		return &kubeReleases{flags: g.kube}
	}
	if _, err := os.Stat(local.StatePath(g.stateDir, name)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return g.client()
	}
	return &kubeReleases{flags: g.kube}
}

func (g *globals) kubeFlagsSet(cmd *cobra.Command) bool {
	for _, f := range []string{"kubeconfig", "context", "namespace", "server", "cluster"} {
		if fl := cmd.Flags().Lookup(f); fl != nil && fl.Changed {
			return true
		}
	}
	return false
}

// newKubeFlags are kubectl's connection flags (--kubeconfig, --context,
// -n, ...), so sluice works as `kubectl sluice`.
func newKubeFlags() *genericclioptions.ConfigFlags {
	return genericclioptions.NewConfigFlags(true)
}

// pluginName is how the CLI calls itself: "kubectl sluice" when installed
// as the kubectl-sluice plugin.
func pluginName() string {
	if filepath.Base(os.Args[0]) == "kubectl-sluice" {
		return "kubectl sluice"
	}
	return "sluice"
}
