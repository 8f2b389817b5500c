package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/dashboard"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/metrics/prometheus"
)

func newDashboardCommand(g *globals) *cobra.Command {
	var (
		addr, token, tokenFile string
		readOnly, allowRemote  bool
		allNamespaces          bool
		prometheusURL          string
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the web dashboard: releases, steps, charts and decisions, live",
		Long: `Dashboard serves a web page of the releases (local ones from the state dir, or
the cluster's with the kubeconfig flags): steps, weight and metric charts for
stable and canary, the judge's verdict and every decision, updated live.
Promote, abort, pause and resume need the token printed at start (or given with
--token / $SLUICE_DASHBOARD_TOKEN); without one the page is read-only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file: %w", err)
				}
				token = strings.TrimSpace(string(b))
			}
			src, namespaced, err := dashboardSource(cmd, g, allNamespaces, prometheusURL)
			if err != nil {
				return err
			}
			if !readOnly && token == "" {
				// Local releases share the state dir's token with their
				// runners' control endpoints; a cluster's dashboard makes
				// one of its own.
				if _, isLocal := src.(*local.Client); isLocal {
					token, err = local.EnsureToken(g.stateDir)
				} else {
					token, err = dashboard.GenerateToken()
				}
				if err != nil {
					return fmt.Errorf("token: %w", err)
				}
			}
			if readOnly {
				token = ""
			}
			return serveDashboard(cmd.Context(), g, src, dashboard.Options{
				Token: token, AllowRemote: allowRemote, Namespaced: namespaced, Logger: g.logger(),
			}, addr, "")
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:7777", "address to listen on (loopback unless --allow-remote)")
	f.StringVar(&token, "token", os.Getenv("SLUICE_DASHBOARD_TOKEN"), "token that allows promote/abort/pause/resume (default: generated and printed)")
	f.StringVar(&tokenFile, "token-file", "", "read the token from a file (a mounted Secret)")
	f.BoolVar(&readOnly, "read-only", false, "no buttons: the page only shows")
	f.BoolVar(&allowRemote, "allow-remote", false, "listen on a non-loopback address")
	f.BoolVarP(&allNamespaces, "all-namespaces", "A", false, "show the cluster's releases of every namespace (as kubectl -A)")
	f.StringVar(&prometheusURL, "prometheus-url", "", "Prometheus to chart cluster releases from, instead of each release's spec.analysis.prometheus.address (e.g. a port-forward: http://127.0.0.1:9090)")
	return cmd
}

// dashboardSource picks the dashboard's releases: the local ones or the
// cluster's, of one namespace or, with -A, all (keys then carry the
// namespace).
func dashboardSource(cmd *cobra.Command, g *globals, allNamespaces bool, prometheusURL string) (dashboard.Source, bool, error) {
	var src releaseSource
	switch {
	case allNamespaces && g.forceLocal:
		return nil, false, fmt.Errorf("--all-namespaces is for releases in a cluster, not --local ones")
	case allNamespaces:
		src = &kubeReleases{flags: g.kube}
	default:
		src = g.source(cmd, "")
	}
	k, ok := src.(*kubeReleases)
	if !ok {
		if prometheusURL != "" {
			return nil, false, fmt.Errorf("--prometheus-url is for releases in a cluster; local releases measure their own traffic")
		}
		return src, false, nil
	}
	if prometheusURL != "" {
		if _, err := prometheus.NewClient(prometheusURL, nil); err != nil {
			return nil, false, fmt.Errorf("--prometheus-url: %w", err)
		}
	}
	return &kubeDashboard{rel: k, all: allNamespaces, charts: newKubeCharts(prometheusURL, g.logger())}, allNamespaces, nil
}

// serveDashboard runs a dashboard until ctx ends, printing its URL.
func serveDashboard(ctx context.Context, g *globals, src dashboard.Source, opts dashboard.Options, addr, release string) error {
	srv, err := dashboard.New(src, opts)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	ln, err := srv.Listen(addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	fmt.Fprintf(g.out, "Sluice dashboard: %s\n", dashboard.URL(ln.Addr(), release, opts.Token))
	if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// startLocalDashboard serves the dashboard of a local state dir in the
// background while a release runs; it stops with ctx. An empty addr turns
// it off. Its buttons take the state dir's token, the one the control
// endpoint checks. It prints the URL, and returns the line for the live
// view's header.
func startLocalDashboard(ctx context.Context, g *globals, stateDir, addr, release, token string) (string, error) {
	if addr == "" {
		return "", nil
	}
	srv, err := dashboard.New(local.NewClient(stateDir), dashboard.Options{Token: token, Logger: g.logger()})
	if err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	ln, err := srv.Listen(addr)
	if err != nil {
		return "", fmt.Errorf("dashboard: %w", err)
	}
	go func() { _ = srv.Serve(ctx, ln) }()
	line := "Dashboard: " + dashboard.URL(ln.Addr(), release, token)
	fmt.Fprintln(g.out, line)
	return line, nil
}
