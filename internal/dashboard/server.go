package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"sluice.dev/sluice/internal/release"
)

// Source is where the dashboard finds releases and sends commands. The
// CLI's local client (state dir plus the running `sluice run`) and its
// cluster client both have this shape, so one dashboard serves both shells.
type Source interface {
	List(ctx context.Context) ([]*release.View, error)
	// Get returns a release and whether it is live (its runner answers).
	Get(ctx context.Context, name string) (*release.View, bool, error)
	// Command sends promote, abort, pause, resume or retry and returns the
	// command's id.
	Command(ctx context.Context, name, command string) (string, error)
}

// Options configure a Server. Zero values are sensible defaults.
type Options struct {
	// Token guards the commands: requests must carry it as a bearer token.
	// Empty makes the dashboard read-only.
	Token string
	// AllowRemote lets Listen bind a non-loopback address and lets requests
	// name any Host. Off, the dashboard is for this machine only.
	AllowRemote bool
	// Namespaced says the Source names releases "namespace/name" (a cluster
	// across namespaces); otherwise by their bare name.
	Namespaced bool
	// PollInterval is how often a live stream asks the Source for news.
	// Default 500ms.
	PollInterval time.Duration
	// MaxStreams bounds the live streams open at once. Default 64.
	MaxStreams int
	// StreamLifetime ends a live stream after this long; browsers reconnect
	// by themselves, so a forgotten tab cannot hold a stream forever.
	// Default 30m.
	StreamLifetime time.Duration
	// CommandTimeout bounds one command sent to the Source. Default 10s.
	CommandTimeout time.Duration
	Logger         *slog.Logger
	Clock          clock.WithTicker
}

// Default option values.
const (
	DefaultPollInterval   = 500 * time.Millisecond
	DefaultMaxStreams     = 64
	DefaultStreamLifetime = 30 * time.Minute
	DefaultCommandTimeout = 10 * time.Second
	// MinTokenLength keeps guessable tokens out.
	MinTokenLength = 16
)

// Server is the dashboard's HTTP handler.
type Server struct {
	src   Source
	opts  Options
	mux   *http.ServeMux
	hub   *hub
	slots chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
}

var _ http.Handler = (*Server)(nil)

// New returns a dashboard over src.
func New(src Source, opts Options) (*Server, error) {
	if src == nil {
		return nil, errors.New("dashboard: no release source")
	}
	if opts.Token != "" && len(opts.Token) < MinTokenLength {
		return nil, fmt.Errorf("dashboard: the token must be at least %d characters", MinTokenLength)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = DefaultMaxStreams
	}
	if opts.StreamLifetime <= 0 {
		opts.StreamLifetime = DefaultStreamLifetime
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	s := &Server{
		src:    src,
		opts:   opts,
		mux:    http.NewServeMux(),
		slots:  make(chan struct{}, opts.MaxStreams),
		closed: make(chan struct{}),
	}
	s.hub = newHub(opts.Clock, opts.PollInterval, opts.Logger)
	s.routes()
	return s, nil
}

// ReadOnly reports whether commands are refused whatever the request.
func (s *Server) ReadOnly() bool { return s.opts.Token == "" }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/info", s.handleInfo)
	s.mux.HandleFunc("GET /api/releases", s.handleList)
	s.mux.HandleFunc("GET /api/events", s.handleListEvents)
	s.mux.HandleFunc("GET /api/releases/{name}", s.handleGet)
	s.mux.HandleFunc("GET /api/releases/{name}/events", s.handleReleaseEvents)
	s.mux.HandleFunc("POST /api/releases/{name}/{command}", s.handleCommand)
	s.mux.Handle("GET /", staticHandler())
}

// ServeHTTP refuses foreign Hosts (unless remote access is allowed), adds
// the security headers every answer carries, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	if !s.opts.AllowRemote && !loopbackHost(r.Host) {
		writeError(w, http.StatusForbidden, "this dashboard answers requests for localhost only (start it with --allow-remote to serve other names)")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen opens addr for the dashboard; it refuses an address other hosts
// can reach unless AllowRemote is set.
func (s *Server) Listen(addr string) (net.Listener, error) {
	if !s.opts.AllowRemote {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("dashboard address %q: %w", addr, err)
		}
		if !loopbackHost(host) {
			return nil, fmt.Errorf("dashboard address %q: not a loopback address; allow remote access explicitly to bind it", addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return ln, nil
}

// Serve serves on ln until ctx is cancelled, then ends the live streams
// and shuts down within five seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(s.Close)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// Close ends every live stream; the handler keeps answering other
// requests. Serve calls it on shutdown.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// URL is the address to open in a browser for the dashboard listening on
// addr: the release's page, or the list when release is empty; with the
// token, so that the page can act (print it only where the token may be
// seen: the page takes it out of the address bar at once).
func URL(addr net.Addr, release, token string) string {
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	u := url.URL{Scheme: "http", Host: host, Path: "/"}
	if release != "" {
		u.Path = "/releases/" + release
	}
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u.String()
}
