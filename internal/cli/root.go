package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"sluice.dev/sluice/internal/local"
)

// globals are the flags every command shares.
type globals struct {
	stateDir   string
	verbose    bool
	forceLocal bool
	forceKube  bool
	kube       *genericclioptions.ConfigFlags
	out        io.Writer
	errOut     io.Writer
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(g.errOut, &slog.HandlerOptions{Level: level}))
}

func (g *globals) client() *local.Client { return local.NewClient(g.stateDir) }

// NewRootCommand builds the sluice command tree.
func NewRootCommand(out, errOut io.Writer) *cobra.Command {
	g := &globals{out: out, errOut: errOut, kube: newKubeFlags()}
	root := &cobra.Command{
		Use: "sluice",
		// As a kubectl plugin, help says `kubectl sluice get`, not
		// `kubectl get`.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: pluginName()},
		Short:       "Progressive delivery: canary releases with automatic promotion and rollback",
		Long: `Sluice releases a new version safely: it sends a small share of traffic to the
canary, watches its metrics against stable, moves traffic over step by step and
promotes it, or rolls everything back by itself when it misbehaves.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", local.DefaultStateDir(), "where local releases keep their state ($SLUICE_STATE_DIR)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log what the runner does")
	root.PersistentFlags().BoolVar(&g.forceLocal, "local", false, "act on local releases only (sluice run)")
	root.PersistentFlags().BoolVar(&g.forceKube, "kube", false, "act on releases in the cluster only")
	g.kube.AddFlags(root.PersistentFlags())
	root.AddCommand(
		newDemoCommand(g),
		newRunCommand(g),
		newGetCommand(g),
		newLintCommand(g),
		newVersionCommand(g),
		newAppCommand(),
		newLoadCommand(g),
		newControllerCommand(g),
		newDashboardCommand(g),
		newSetCommand(g),
		newLoadtesterCommand(g),
		newConvertCommand(g),
	)
	for _, c := range controlCommands {
		root.AddCommand(newControlCommand(g, c))
	}
	if name := pluginName(); name != "sluice" {
		renameExamples(root, name)
	}
	return root
}

// renameExamples writes the examples as the command is called, so a
// kubectl plugin's help shows `kubectl sluice get`, ready to copy.
func renameExamples(c *cobra.Command, name string) {
	c.Example = strings.ReplaceAll(c.Example, "  sluice ", "  "+name+" ")
	for _, sub := range c.Commands() {
		renameExamples(sub, name)
	}
}

// Execute runs the CLI and returns the process exit code.
func Execute(ctx context.Context, args []string) int {
	root := NewRootCommand(os.Stdout, os.Stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return exitInterrupted // Ctrl-C: the person knows
		}
		root.PrintErrln("Error:", err)
		var ec exitCoder
		if asExitCoder(err, &ec) {
			return ec.ExitCode()
		}
		return 1
	}
	return 0
}
