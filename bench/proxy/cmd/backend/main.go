// Command backend is the upstream of the proxy benchmark: one process that
// answers every request with the same small body on one or more loopback
// ports, so that direct, nginx, HAProxy and Sluice all forward to exactly the
// same server and only the proxy in between differs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:18081", "comma-separated loopback addresses to serve on")
	size := flag.Int("size", 1024, "response body size in bytes")
	flag.Parse()

	body := []byte(strings.Repeat("x", *size))
	length := []string{strconv.Itoa(len(body))}
	ctype := []string{"text/plain; charset=utf-8"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Header slices set directly: the backend should cost as little as
		// possible, so that the proxies' differences show.
		hdr := w.Header()
		hdr["Content-Length"] = length
		hdr["Content-Type"] = ctype
		_, _ = w.Write(body)
	})

	var servers []*http.Server
	errs := make(chan error, 8)
	for _, addr := range strings.Split(*listen, ",") {
		ln, err := listenLoopback(addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
		servers = append(servers, srv)
		go func() { errs <- srv.Serve(ln) }()
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case err := <-errs:
		return fmt.Errorf("serve: %w", err)
	}
	for _, s := range servers {
		_ = s.Close()
	}
	return nil
}

// listenLoopback refuses anything but a loopback address: the benchmark
// must never serve, or be reached, beyond this machine.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("listen address " + addr + " is not a loopback IP")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}
