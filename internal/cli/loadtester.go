package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/loadgen"
	"sluice.dev/sluice/internal/loadtester"
)

// loadtesterOptions are the flags of `sluice loadtester`.
type loadtesterOptions struct {
	addr       string
	inCluster  bool
	namespaces string
	maxTasks   int
}

// inClusterAddr is where the load tester listens in a cluster, the port of
// Flagger's load tester.
const inClusterAddr = ":9090"

func newLoadtesterCommand(g *globals) *cobra.Command {
	var o loadtesterOptions
	cmd := &cobra.Command{
		Use:   "loadtester",
		Short: "Serve Flagger's load tester webhook API: hey commands run by the built-in load generator",
		Long: `Serve the webhook API of Flagger's load tester, so a load-test webhook written for
Flagger works unchanged: POST {name, namespace, metadata: {type: cmd, cmd: "hey -z 1m
-q 10 -c 2 http://api-canary.shop/"}} starts the load in the background and answers
202 (the same command for the same release runs once at a time); type bash waits for
the end. The hey flags -z -q -c -n -m -H -d -T -t -A -a are understood; nothing is
given to a shell. /gate/check, /gate/open, /gate/close, /gate/approve, /gate/halt
and /rollback/check, /rollback/open, /rollback/close work as Flagger's.

By default it listens on loopback and sends load to loopback hosts only (beside
sluice run). In a cluster (--in-cluster, the chart's loadtester.enabled) it listens
on :9090 and sends load to any host but link-local and instance-metadata addresses.`,
		Example: `  sluice loadtester &
  curl -d '{"name":"example","metadata":{"cmd":"hey -z 30s -q 10 -c 2 http://127.0.0.1:8080/"}}' http://127.0.0.1:9090/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.inCluster && !cmd.Flags().Changed("addr") {
				o.addr = inClusterAddr
			}
			return runLoadtester(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:9090", "address to listen on (--in-cluster: "+inClusterAddr+")")
	f.BoolVar(&o.inCluster, "in-cluster", false, "listen on all interfaces and send load to any host but link-local and metadata addresses")
	f.StringVar(&o.namespaces, "namespace-regexp", "", "serve only releases whose namespace matches (Flagger's -namespace-regexp)")
	f.IntVar(&o.maxTasks, "max-tasks", loadtester.DefaultMaxTasks, "load tests running at once, at most")
	return cmd
}

func runLoadtester(ctx context.Context, g *globals, o loadtesterOptions) error {
	cfg := loadtester.Config{MaxTasks: o.maxTasks, Logger: slog.New(slog.NewJSONHandler(g.errOut, nil))}
	reach := "loopback hosts only"
	if o.inCluster {
		cfg.Reach, reach = loadgen.ReachNetwork, "any host but link-local and metadata addresses"
	}
	if o.namespaces != "" {
		re, err := regexp.Compile(o.namespaces)
		if err != nil {
			return fmt.Errorf("--namespace-regexp: %w", err)
		}
		cfg.Namespaces = re
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("loadtester: %w", err)
	}
	testsCtx, stopTests := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTests()
	s := loadtester.New(testsCtx, cfg)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(g.out, "sluice loadtester: listening on http://%s; load to %s\n", ln.Addr(), reach)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("loadtester: %w", err)
	case <-ctx.Done():
	}
	// Stop taking webhooks, end the tests, and give blocking callers a
	// moment to get their answer.
	stopTests()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("loadtester: %w", err)
	}
	s.Wait()
	return nil
}
