package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/demo"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/local"
)

func newDemoCommand(g *globals) *cobra.Command {
	var (
		rate     float64
		keep     bool
		stateDir string
		dashAddr string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch two whole releases with nothing installed: one promoted, one rolled back",
		Long: `Demo starts the built-in sample app as stable (v1) and canary (v2), puts Sluice's
proxy in front, sends load through it and runs two releases one after the other:
a healthy canary that is promoted, then a faulty one (5% errors, +200 ms) that
is rolled back by itself. It exits 0 only if both end as expected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the sluice binary: %w", err)
			}
			if stateDir == "" {
				dir, err := os.MkdirTemp("", "sluice-demo-")
				if err != nil {
					return fmt.Errorf("state dir: %w", err)
				}
				if !keep {
					defer func() { _ = os.RemoveAll(dir) }()
				}
				stateDir = dir
			}
			token, err := local.EnsureToken(stateDir)
			if err != nil {
				return err
			}
			dash, err := startLocalDashboard(cmd.Context(), g, stateDir, dashAddr, "", token)
			if err != nil {
				return err
			}
			view := newLiveView(g.out)
			if dash != "" {
				view.addHeader(dash)
			}
			fmt.Fprintf(g.out, "Sluice demo: a healthy canary, then a faulty one, %g req/s through the proxy (state in %s)\n\n", rate, stateDir)
			start := time.Now()
			outcomes, err := demo.Run(cmd.Context(), demo.Options{
				Executable: exe, StateDir: stateDir, Rate: rate, Logger: g.logger(),
				OnUpdate: view.update,
				OnEvent:  func(name string, ev engine.Event) { view.event(name, ev) },
			})
			view.final()
			if err != nil {
				return err
			}
			return summarize(g.out, outcomes, time.Since(start))
		},
	}
	cmd.Flags().Float64Var(&rate, "rate", 100, "requests per second sent through the proxy")
	cmd.Flags().StringVar(&dashAddr, "dashboard-addr", "127.0.0.1:0", "address of the web dashboard (loopback); empty turns it off")
	cmd.Flags().BoolVar(&keep, "keep-state", false, "keep the demo's state files")
	cmd.Flags().StringVar(&stateDir, "demo-state-dir", "", "state dir for the demo releases (default: a temporary dir)")
	return cmd
}

// summarize prints one line per release and fails unless all ended as
// expected.
func summarize(w io.Writer, outcomes []demo.Outcome, total time.Duration) error {
	fmt.Fprintln(w, "Summary:")
	ok := true
	for _, o := range outcomes {
		mark := "✔"
		if !o.OK() {
			mark, ok = "✖", false
		}
		l := o.Load
		fmt.Fprintf(w, "  %s %-13s %-10s (expected %s) in %4.1fs — %d requests, %d non-2xx, %d transport errors\n",
			mark, o.Name, o.Got, o.Want, o.Elapsed.Seconds(), l.Sent, l.Non2xx, l.Errors)
		fmt.Fprintf(w, "      %s\n", o.Message)
	}
	fmt.Fprintf(w, "Total: %.1fs\n", total.Seconds())
	if !ok || len(outcomes) != len(demo.Cases) {
		return codeError{err: fmt.Errorf("demo: a release did not end as expected"), code: exitFailed}
	}
	return nil
}
