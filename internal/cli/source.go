package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// state file of that name means local, and anything else the cluster — but
// only when a cluster is configured (a kubeconfig, a context, in-cluster):
// client-go would otherwise fall back to localhost:8080, which is where
// Sluice's own proxy listens by default.
func (g *globals) source(cmd *cobra.Command, name string) releaseSource {
	switch {
	case g.forceLocal:
		return g.client()
	case g.forceKube || g.kubeFlagsSet(cmd):
		return &kubeReleases{flags: g.kube}
	}
	if name == "" {
		if snaps, err := g.client().List(cmd.Context()); err == nil && len(snaps) > 0 || !g.clusterConfigured() {
			return g.client()
		}
		return &kubeReleases{flags: g.kube}
	}
	if _, err := os.Stat(local.StatePath(g.stateDir, name)); err == nil || !errors.Is(err, os.ErrNotExist) {
		return g.client()
	}
	if !g.clusterConfigured() {
		return missing{name: name, local: g.client()}
	}
	return &kubeReleases{flags: g.kube}
}

// clusterConfigured reports whether a cluster is there to ask: a
// kubeconfig with a context or a server, or in-cluster credentials.
func (g *globals) clusterConfigured() bool {
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return true
	}
	raw, err := g.kube.ToRawKubeConfigLoader().RawConfig()
	return err == nil && (len(raw.Contexts) > 0 || len(raw.Clusters) > 0)
}

// missing is the source of a release that is neither local nor in a
// cluster, since none is configured: every call says so, naming the local
// releases there are.
type missing struct {
	name  string
	local *local.Client
}

var _ releaseSource = missing{}

func (m missing) err(ctx context.Context) error {
	var names []string
	if views, err := m.local.List(ctx); err == nil {
		for _, v := range views {
			names = append(names, v.Release.Name)
		}
	}
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return fmt.Errorf("no release %q (local: %s; no cluster configured: give --kubeconfig or --context for one)", m.name, have)
}

func (m missing) Get(ctx context.Context, _ string) (*release.View, bool, error) {
	return nil, false, m.err(ctx)
}

func (m missing) List(ctx context.Context) ([]*release.View, error) { return nil, m.err(ctx) }

func (m missing) Command(ctx context.Context, _, _ string) (string, error) {
	return "", m.err(ctx)
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
