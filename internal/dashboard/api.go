package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"sluice.dev/sluice/internal/release"
)

// Commands are the actions the dashboard offers; each needs the token.
var Commands = []string{"promote", "abort", "pause", "resume", "retry"}

func isCommand(c string) bool {
	for _, k := range Commands {
		if c == k {
			return true
		}
	}
	return false
}

// Info tells the front end how this dashboard was started.
type Info struct {
	ReadOnly   bool     `json:"readOnly"`
	Namespaced bool     `json:"namespaced"`
	Commands   []string `json:"commands"`
	// PollMillis is how often live streams look for news.
	PollMillis int64 `json:"pollMillis"`
}

func (s *Server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, Info{
		ReadOnly: s.ReadOnly(), Namespaced: s.opts.Namespaced,
		Commands: Commands, PollMillis: s.opts.PollInterval.Milliseconds(),
	})
}

// ReleaseList is the answer of GET /api/releases.
type ReleaseList struct {
	Releases []Summary `json:"releases"`
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	list, err := s.list(r.Context())
	if err != nil {
		s.sourceError(w, "listing releases", err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) list(ctx context.Context) (*ReleaseList, error) {
	snaps, err := s.src.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing releases: %w", err)
	}
	out := &ReleaseList{Releases: make([]Summary, 0, len(snaps))}
	for _, snap := range snaps {
		if snap == nil {
			continue
		}
		out.Releases = append(out.Releases, newSummary(s.key(snap), snap))
	}
	sort.Slice(out.Releases, func(i, j int) bool { return out.Releases[i].Key < out.Releases[j].Key })
	return out, nil
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("name")
	view, err := s.get(r.Context(), key)
	if err != nil {
		s.sourceError(w, "release "+key, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) get(ctx context.Context, key string) (*ReleaseView, error) {
	if err := s.validKey(key); err != nil {
		return nil, err
	}
	snap, live, notes, err := s.getSnapshot(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", key, err)
	}
	if snap == nil {
		return nil, fmt.Errorf("release %s: %w", key, release.ErrNotFound)
	}
	v := newView(key, snap, live)
	v.Notes = notes
	return v, nil
}

// errBadName refuses names that could reach outside the source (a path in
// the state dir) before the source sees them.
var errBadName = errors.New("not a release name")

// validKey accepts Kubernetes-style names, "namespace/name" when the
// Source is namespaced.
func (s *Server) validKey(key string) error {
	parts := []string{key}
	if s.opts.Namespaced {
		parts = strings.Split(key, "/")
		if len(parts) != 2 {
			parts = []string{""}
		}
	}
	for _, p := range parts {
		if p == "" || len(p) > 253 || strings.Contains(p, "..") || strings.Trim(p, nameChars) != "" {
			return fmt.Errorf("%q: %w", key, errBadName)
		}
	}
	return nil
}

const nameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"

// CommandResult is the answer of a command accepted by the Source.
type CommandResult struct {
	Release string `json:"release"`
	Command string `json:"command"`
	// ID is the Source's id for the command.
	ID string `json:"id"`
}

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	key, command := r.PathValue("name"), r.PathValue("command")
	if !isCommand(command) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown command %q (%s)", command, strings.Join(Commands, ", ")))
		return
	}
	log := s.opts.Logger.With("release", key, "command", command, "remote", r.RemoteAddr)
	if code, msg := s.authorize(r); code != http.StatusOK {
		log.Warn("dashboard command refused", "status", code)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sluice"`)
		}
		writeError(w, code, msg)
		return
	}
	if err := s.validKey(key); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.CommandTimeout)
	defer cancel()
	id, err := s.src.Command(ctx, key, command)
	if err != nil {
		log.Warn("dashboard command failed", "err", err)
		s.sourceError(w, command+" "+key, err)
		return
	}
	log.Info("dashboard command sent", "id", id)
	writeJSON(w, http.StatusAccepted, CommandResult{Release: key, Command: command, ID: id})
}

// sourceError answers with the status that fits what went wrong.
func (s *Server) sourceError(w http.ResponseWriter, what string, err error) {
	code := http.StatusBadGateway
	switch {
	case errors.Is(err, errBadName):
		code = http.StatusBadRequest
	case errors.Is(err, release.ErrNotFound), apierrors.IsNotFound(err):
		code = http.StatusNotFound
	case errors.Is(err, release.ErrNotRunning):
		code = http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
	}
	if code == http.StatusBadGateway {
		s.opts.Logger.Warn("dashboard source failed", "what", what, "err", err)
	}
	writeError(w, code, err.Error())
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
