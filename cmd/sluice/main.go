// Command sluice is the one binary of Sluice: the CLI, the local runner, the
// demo and (later) the Kubernetes controller. It only wires signals to
// internal/cli, where the commands live.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"sluice.dev/sluice/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
