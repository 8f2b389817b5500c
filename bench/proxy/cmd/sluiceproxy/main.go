// Command sluiceproxy runs Sluice's embedded proxy alone, with a fixed route,
// so the benchmark can load it like any other reverse proxy. Run it with
// GOMAXPROCS=1 to compare it with single-worker nginx and HAProxy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"sluice.dev/sluice/internal/proxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sluiceproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:18092", "loopback address to serve on")
	stableURL := flag.String("stable", "http://127.0.0.1:18081", "stable upstream")
	canaryURL := flag.String("canary", "http://127.0.0.1:18082", "canary upstream")
	weight := flag.Int("weight", 10, "canary weight in percent")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	server := flag.String("server", "own", "own: the proxy's NewServer; net-http: a plain http.Server with the proxy as its handler")
	flag.Parse()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	st, err := url.Parse(*stableURL)
	if err != nil {
		return fmt.Errorf("-stable: %w", err)
	}
	ca, err := url.Parse(*canaryURL)
	if err != nil {
		return fmt.Errorf("-canary: %w", err)
	}
	p := proxy.New(proxy.Options{Release: "bench", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := p.SetRoute(proxy.Route{Stable: st, Canary: ca, CanaryWeight: int32(*weight)}); err != nil {
		return fmt.Errorf("route: %w", err)
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("-listen must be a loopback IP address")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var srv interface {
		Serve(net.Listener) error
		Shutdown(context.Context) error
	}
	switch *server {
	case "own":
		srv = p.NewServer()
	case "net-http":
		srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	default:
		return fmt.Errorf("-server %q: want own or net-http", *server)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	p.CloseIdleConnections()
	return nil
}
