package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/local"
)

func newRunCommand(g *globals) *cobra.Command {
	var (
		file, control string
		fresh, quiet  bool
		keepServing   bool
		dashAddr      string
	)
	cmd := &cobra.Command{
		Use:   "run -f FILE",
		Short: "Run a release locally: start both versions, put the proxy in front, promote or roll back",
		Long: `Run a release described in a Release file on this machine. Sluice starts the stable
and canary versions (or uses their URLs), serves its own weighted proxy on
spec.traffic.proxy.listen, moves traffic by the steps while checking metrics,
and ends Promoted (exit 0) or RolledBack (exit 2).

While it runs, 'sluice get NAME --watch', 'sluice promote NAME', 'abort',
'pause' and 'resume' act on it from another terminal. Killed and started again,
it resumes at the step it had reached.`,
		Example: "  sluice run -f examples/local/release.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rel, err := loadRelease(file)
			if err != nil {
				return codeError{err: err, code: exitFailed}
			}
			if err := startLocalDashboard(cmd.Context(), g, g.stateDir, dashAddr, rel.Name); err != nil {
				return err
			}
			view := newLiveView(g.out)
			opts := local.Options{
				StateDir: g.stateDir, ControlAddress: control, Fresh: fresh, KeepServing: keepServing, Logger: g.logger(),
				OnUpdate: view.update,
				OnEvent:  func(ev engine.Event) { view.event(rel.Name, ev) },
			}
			if !quiet {
				opts.Stdout, opts.Stderr = os.Stderr, os.Stderr
			}
			r, err := local.New(rel, opts)
			if err != nil {
				return err
			}
			err = r.Run(cmd.Context())
			view.final()
			if errors.Is(err, local.ErrRolledBack) {
				return codeError{err: err, code: exitRolledBack}
			}
			if err != nil {
				return fmt.Errorf("release %s: %w", rel.Name, err)
			}
			phase := "Promoted"
			if s := r.Snapshot(); s != nil {
				phase = string(s.Release.Status.Phase)
			}
			fmt.Fprintf(g.out, "release %s %s\n", rel.Name, phase)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "Release file (YAML or JSON)")
	cmd.Flags().StringVar(&control, "control-address", "127.0.0.1:0", "loopback address of the control endpoint")
	cmd.Flags().BoolVar(&fresh, "fresh", false, "ignore saved state and start the release over")
	cmd.Flags().StringVar(&dashAddr, "dashboard-addr", "127.0.0.1:0", "address of the web dashboard (loopback); empty turns it off")
	cmd.Flags().BoolVar(&keepServing, "keep-serving", false, "after the release ends, keep the proxy serving with the final weights until interrupted")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "hide the versions' own output")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}
