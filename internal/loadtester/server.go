package loadtester

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"sluice.dev/sluice/internal/loadgen"
)

// Limits of the server.
const (
	// maxPayload bounds a webhook's body; a payload is a few hundred bytes.
	maxPayload = 64 << 10
	// DefaultMaxTasks bounds the load tests running at once.
	DefaultMaxTasks = 32
)

// Config is how a Server runs.
type Config struct {
	// Reach is which hosts load may be sent to: loopback (the default, for
	// a load tester beside `sluice run`) or the network (in a cluster).
	Reach loadgen.Reach
	// Limit bounds a test that names no duration (hey -n) and a test the
	// caller waits for (type bash). Default: the longest run Reach allows.
	Limit time.Duration
	// Namespaces, when set, is the only namespaces whose releases may
	// start tests or use gates (Flagger's -namespace-regexp).
	Namespaces *regexp.Regexp
	// MaxTasks bounds the background tests. Default DefaultMaxTasks.
	MaxTasks int
	// Logger receives each test's start and result. Default: discard.
	Logger *slog.Logger
}

// Server is the load tester's HTTP handler.
type Server struct {
	cfg    Config
	runner *runner
	gates  *gates
	mux    *http.ServeMux
}

// New returns a server whose background tests end when ctx ends.
func New(ctx context.Context, cfg Config) *Server {
	if cfg.Limit <= 0 {
		cfg.Limit = loadgen.MaxDuration
		if cfg.Reach == loadgen.ReachNetwork {
			cfg.Limit = loadgen.MaxNetworkDuration
		}
	}
	if cfg.MaxTasks <= 0 {
		cfg.MaxTasks = DefaultMaxTasks
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, runner: newRunner(ctx, cfg.Logger, cfg.MaxTasks), gates: newGates(), mux: http.NewServeMux()}
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { answer(w, http.StatusOK, "OK") })
	s.mux.HandleFunc("/gate/approve", func(w http.ResponseWriter, _ *http.Request) { answer(w, http.StatusOK, "OK") })
	s.mux.HandleFunc("/gate/halt", func(w http.ResponseWriter, _ *http.Request) { answer(w, http.StatusForbidden, "Forbidden") })
	s.mux.HandleFunc("/gate/check", s.gate("", check))
	s.mux.HandleFunc("/gate/open", s.gate("", open))
	s.mux.HandleFunc("/gate/close", s.gate("", closeGate))
	s.mux.HandleFunc("/rollback/check", s.gate("rollback.", check))
	s.mux.HandleFunc("/rollback/open", s.gate("rollback.", open))
	s.mux.HandleFunc("/rollback/close", s.gate("rollback.", closeGate))
	s.mux.HandleFunc("/", s.task)
	return s
}

// ServeHTTP serves the webhook API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Wait waits for the background tests to end, after the context given to
// New has ended.
func (s *Server) Wait() { s.runner.wait() }

// Running is how many background tests run now.
func (s *Server) Running() int { return s.runner.active() }

// payload is what Flagger and Sluice both send a webhook; the load tester
// needs no more of it.
type payload struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Phase     string            `json:"phase"`
	Metadata  map[string]string `json:"metadata"`
}

func (p payload) release() string { return p.Name + "." + p.Namespace }

// read decodes and authorizes a webhook's payload, or answers the error.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (payload, bool) {
	var p payload
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, "POST a webhook payload: {name, namespace, metadata: {type: cmd, cmd: \"hey …\"}}")
		return p, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		answer(w, http.StatusBadRequest, "reading the request body failed")
		return p, false
	}
	if len(body) > maxPayload {
		answer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a payload is at most %d KiB", maxPayload>>10))
		return p, false
	}
	if err := json.Unmarshal(body, &p); err != nil {
		answer(w, http.StatusBadRequest, "decoding the request body failed: "+err.Error())
		return p, false
	}
	if s.cfg.Namespaces != nil && !s.cfg.Namespaces.MatchString(p.Namespace) {
		answer(w, http.StatusForbidden, "Forbidden")
		return p, false
	}
	return p, true
}

// task starts or runs the load test a webhook asks for.
func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	p, ok := s.read(w, r)
	if !ok {
		return
	}
	if len(p.Metadata) == 0 {
		answer(w, http.StatusBadRequest, "metadata not found in payload")
		return
	}
	typ := p.Metadata["type"]
	if typ == "" {
		typ = "cmd"
	}
	if typ != "cmd" && typ != "bash" {
		answer(w, http.StatusBadRequest, fmt.Sprintf("task type %q is not supported: sluice loadtester runs hey commands, type cmd (in the background) or bash (the caller waits)", typ))
		return
	}
	cmd := p.Metadata["cmd"]
	if cmd == "" {
		answer(w, http.StatusBadRequest, "cmd not found in metadata")
		return
	}
	cfg, err := parseHey(cmd, s.cfg.Limit)
	if err == nil {
		cfg.Reach = s.cfg.Reach
		_, err = loadgen.New(cfg) // the target and bounds, before answering
	}
	if err != nil {
		answer(w, http.StatusBadRequest, err.Error())
		return
	}
	if typ == "bash" {
		s.blocking(w, r, p, cmd, cfg)
		return
	}
	started, err := s.runner.start(p.Namespace+"/"+p.Name+"\x00"+cmd, p.release(), cmd, cfg)
	switch {
	case errors.Is(err, errBusy):
		answer(w, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		answer(w, http.StatusBadRequest, err.Error())
	case started:
		answer(w, http.StatusAccepted, "load test started")
	default:
		answer(w, http.StatusAccepted, "load test already running")
	}
}

// blocking runs a test while the caller waits: 200 with its result, or 500
// when no request got an answer (the target is down or refused).
func (s *Server) blocking(w http.ResponseWriter, r *http.Request, p payload, cmd string, cfg loadgen.Config) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Limit)
	defer cancel()
	st, err := s.runner.run(ctx, p.release(), cmd, cfg)
	summary := fmt.Sprintf("%d sent in %s: %d ok, %d non-2xx, %d errors", st.Sent, st.Elapsed.Round(time.Millisecond), st.OK, st.Non2xx, st.Errors)
	switch {
	case errors.Is(err, errBusy):
		answer(w, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		answer(w, http.StatusInternalServerError, err.Error())
	case st.OK+st.Non2xx == 0:
		answer(w, http.StatusInternalServerError, summary+": no request was answered; last error: "+st.LastError)
	default:
		answer(w, http.StatusOK, summary)
	}
}

// The gate actions.
const (
	check = iota
	open
	closeGate
)

// gate serves one of Flagger's gate endpoints; prefix tells the rollback
// gates from the promotion gates.
func (s *Server) gate(prefix string, action int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.read(w, r)
		if !ok {
			return
		}
		key := prefix + p.release()
		switch action {
		case open:
			s.gates.set(key, true)
			s.cfg.Logger.Info("gate opened", "gate", key)
			answer(w, http.StatusAccepted, "")
		case closeGate:
			s.gates.set(key, false)
			s.cfg.Logger.Info("gate closed", "gate", key)
			answer(w, http.StatusAccepted, "")
		default:
			if s.gates.isOpen(key) {
				answer(w, http.StatusOK, "Approved")
				return
			}
			answer(w, http.StatusForbidden, "Forbidden")
		}
	}
}

// answer writes a status and a short text.
func answer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if msg != "" {
		_, _ = io.WriteString(w, msg+"\n")
	}
}
