package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/local"
	localwl "sluice.dev/sluice/internal/workload/local"
)

func newRunCommand(g *globals) *cobra.Command {
	var (
		file, control string
		fresh, quiet  bool
		exitOnDone    bool
		dashAddr      string
	)
	cmd := &cobra.Command{
		Use:   "run -f FILE",
		Short: "Run a release locally: start both versions, put the proxy in front, promote or roll back",
		Long: `Run a release described in a Release file on this machine. Sluice starts the stable
and canary versions (or uses their URLs), serves its own weighted proxy on
spec.traffic.proxy.listen, and moves traffic by the steps while checking
metrics, until the canary is promoted or rolled back.

sluice run is the data plane: once the release has ended its proxy keeps
serving stable (the promoted version) until you stop it. Run it again with a
release file whose canary changed, from any terminal, and the running runner
takes the file and starts the next release, with no request lost. With
--exit-on-done it returns as soon as the release ends instead: exit 0 when
promoted, 2 when rolled back. Stopped (Ctrl-C, SIGTERM) once its release
ended it exits 0; stopped mid-release, 130.

While it runs, 'sluice get NAME --watch', 'sluice promote NAME', 'abort',
'pause', 'resume' and 'retry' act on it from another terminal. Killed and
started again, it resumes at the step it had reached, serving the last
promoted version as stable.`,
		Example: `  sluice run -f examples/local/release.yaml
  sluice run -f release.yaml --exit-on-done   # for scripts: the exit code is the outcome`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rel, err := loadRelease(cmd.Context(), file, cmd.InOrStdin())
			if err != nil {
				return codeError{err: err, code: exitFailed}
			}
			client := g.client()
			if info, ok := client.Runner(cmd.Context(), rel.Name); ok {
				if fresh {
					return fmt.Errorf("release %s: `sluice run` runs it already (pid %d); stop it first to start over with --fresh", rel.Name, info.PID)
				}
				return handOver(cmd.Context(), g, client, rel, info, exitOnDone)
			}
			token, err := local.EnsureToken(g.stateDir)
			if err != nil {
				return err
			}
			dash, err := startLocalDashboard(cmd.Context(), g, g.stateDir, dashAddr, rel.Name, token)
			if err != nil {
				return err
			}
			view := newLiveView(g.out)
			if dash != "" {
				view.addHeader(dash)
			}
			opts := local.Options{
				StateDir: g.stateDir, ControlAddress: control, Fresh: fresh, ExitOnDone: exitOnDone, Logger: g.logger(),
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
			return runResult(g, rel.Name, r, err)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "Release file (YAML or JSON; - for standard input)")
	cmd.Flags().StringVar(&control, "control-address", "127.0.0.1:0", "loopback address of the control endpoint")
	cmd.Flags().BoolVar(&fresh, "fresh", false, "ignore saved state and start the release over from the file's stable")
	cmd.Flags().StringVar(&dashAddr, "dashboard-addr", "127.0.0.1:0", "address of the web dashboard (loopback); empty turns it off")
	cmd.Flags().BoolVar(&exitOnDone, "exit-on-done", false, "return as soon as the release ends (exit 0 promoted, 2 rolled back) instead of serving on")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "hide the versions' own output")
	_ = cmd.MarkFlagRequired("file")
	_ = cmd.MarkFlagFilename("file", releaseFileExtensions...)
	return cmd
}

// runResult says how a run ended and picks the exit code.
func runResult(g *globals, name string, r *local.Runner, err error) error {
	phase := v1alpha1.Phase("")
	if v := r.View(); v != nil {
		phase = v.Release.Status.Phase
	}
	switch {
	case errors.Is(err, local.ErrRolledBack):
		fmt.Fprintf(g.out, "release %s RolledBack: `sluice retry %s` tries this canary again; a release file with another canary starts the next release\n", name, name)
		return codeError{err: err, code: exitRolledBack}
	case errors.Is(err, local.ErrAlreadyRunning):
		return fmt.Errorf("%w: run the same command again to hand it the file", err)
	case errors.Is(err, context.Canceled):
		if phase != "" && !phase.Terminal() && phase != v1alpha1.PhaseWaiting {
			fmt.Fprintf(g.out, "release %s stopped while %s; `sluice run -f` resumes it where it was\n", name, phase)
		}
		return err //nolint:wrapcheck // Execute turns an interruption into exit 130
	case err != nil:
		return fmt.Errorf("release %s: %w", name, err)
	}
	fmt.Fprintf(g.out, "release %s %s\n", name, phase)
	return nil
}

// handOver gives a release file to the runner that runs the release
// already: a changed canary starts the next release there, and the proxy
// never stops. With exitOnDone it waits for that release's outcome.
func handOver(ctx context.Context, g *globals, client *local.Client, rel *v1alpha1.Release, info *local.RunnerInfo, exitOnDone bool) error {
	result, err := client.Apply(ctx, rel)
	if err != nil {
		return fmt.Errorf("release %s: handing the file to the running runner (pid %d): %w", rel.Name, info.PID, err)
	}
	fmt.Fprintf(g.out, "release %s: %s by the running `sluice run` (pid %d, proxy %s)\n", rel.Name, result, info.PID, info.Proxy)
	if !exitOnDone {
		return nil
	}
	want := localwl.Revision(rel.Spec.Workload.Local.Canary)
	for {
		v, _, err := client.Get(ctx, rel.Name)
		if err != nil {
			return err
		}
		st := v.Release.Status
		if st.CanaryRevision == want && st.Phase.Terminal() {
			fmt.Fprintf(g.out, "release %s %s: %s\n", rel.Name, st.Phase, st.Message)
			if st.Phase == v1alpha1.PhaseRolledBack {
				return codeError{err: errors.New("release rolled back"), code: exitRolledBack}
			}
			return nil
		}
		if st.Phase == v1alpha1.PhaseWaiting && st.StableRevision == want {
			fmt.Fprintf(g.out, "release %s: its canary is the stable version already\n", rel.Name)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
