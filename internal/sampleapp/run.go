package sampleapp

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownGrace bounds how long in-flight requests may finish after a stop
// was asked for.
const shutdownGrace = 5 * time.Second

// Run parses args (flags, with the environment as defaults), serves the app
// until ctx is cancelled or the process gets SIGINT/SIGTERM, then shuts down
// gracefully. It prints one line with the address it serves on to stdout.
// Asking for help (-h) prints usage and returns nil.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	s, err := ParseFlags(args, os.Getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sample app: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Serve(ctx, s, stdout)
}

// Serve listens on s.Listen and serves the app until ctx ends. It exists
// apart from Run for callers that already hold Settings.
func Serve(ctx context.Context, s Settings, stdout io.Writer) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("sample app: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Listen)
	if err != nil {
		return fmt.Errorf("sample app: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           Handler(s.Config, nil),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	_, _ = fmt.Fprintf(stdout, "sample app %s listening on http://%s (error rate %g, latency %v, jitter %v)\n",
		s.Version, ln.Addr(), s.ErrorRate, s.Latency, s.Jitter)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("sample app: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("sample app: shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sample app: serve: %w", err)
	}
	_, _ = fmt.Fprintf(stdout, "sample app %s stopped\n", s.Version)
	return nil
}
