package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// StateVersion is the format of the state files this Sluice writes. A
// file of a newer format is refused, naming both; a file without a version
// (written before versions were kept) is read as format 1, whose release
// and status have the same shape.
const StateVersion = 2

// State is what `sluice run` keeps of a release between runs, in
// NAME.json of the state dir (0600, in a 0700 dir: it holds the spec's
// environment and webhook URLs). It is the local shell's memory, as
// .status is the controller's.
type State struct {
	// Version is the file's format, StateVersion when written.
	Version int `json:"version"`
	// Release is the spec last run, with the status the engine decided.
	Release v1alpha1.Release `json:"release"`
	// Stable is the version serving as stable: the last promoted canary,
	// or the spec's stable before any promotion. A release file whose
	// stable differs runs this one: traffic never goes back to a version
	// older than the last promoted one.
	Stable *v1alpha1.LocalVersion `json:"stable,omitempty"`
	// Checks are the figures over time, for charts, newest last.
	Checks []release.CheckPoint `json:"checks,omitempty"`
	// Pending are commands given while no runner was running; the next
	// runner applies them first.
	Pending []engine.Command `json:"pending,omitempty"`
	// Runner says where the running runner is; empty once it stopped.
	Runner    *RunnerInfo `json:"runner,omitempty"`
	UpdatedAt time.Time   `json:"updatedAt"`
}

// RunnerInfo is where a running runner can be reached.
type RunnerInfo struct {
	PID int `json:"pid"`
	// Control is the base URL of its control endpoint (loopback).
	Control string `json:"control"`
	// Proxy is the base URL users send traffic to.
	Proxy string `json:"proxy,omitempty"`
}

// StatePath is where the state of the release name lives in dir.
func StatePath(dir, name string) string {
	return filepath.Join(dir, name+".json")
}

// DefaultStateDir is $SLUICE_STATE_DIR, else $XDG_STATE_HOME/sluice, else
// ~/.local/state/sluice: one place that `run` writes and `get` reads.
func DefaultStateDir() string {
	if d := os.Getenv("SLUICE_STATE_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sluice")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "sluice")
	}
	return filepath.Join(home, ".local", "state", "sluice")
}

// ErrNoState means no release of that name was ever run in the state dir.
var ErrNoState = fmt.Errorf("no state file: %w", release.ErrNotFound)

// LoadState reads a state file. A file of an unknown format is an error
// that names it; it is never taken for an empty state.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	switch {
	case s.Version == 0:
		s.Version = 1
	case s.Version > StateVersion:
		return nil, fmt.Errorf("state %s: format %d is newer than this sluice reads (%d): use the sluice that wrote it, or start over with --fresh", path, s.Version, StateVersion)
	case s.Version < 0:
		return nil, fmt.Errorf("state %s: format %d is not a format", path, s.Version)
	}
	if s.Release.Name == "" {
		return nil, fmt.Errorf("state %s: no release in it: start over with --fresh", path)
	}
	return &s, nil
}

// SaveState writes a state file atomically (write then rename), readable
// by its owner only, in a directory only its owner can enter.
func SaveState(path string, s *State) error {
	s.Version = StateVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// ensureDir makes the state dir, 0700, and tightens one that others can
// read.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating state dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("state dir %s is readable by others and cannot be tightened: %w", dir, err)
		}
	}
	return nil
}

// ListStates reads every state file in dir; files that cannot be read are
// skipped.
func ListStates(dir string) ([]*State, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []*State
	for _, p := range paths {
		s, err := LoadState(p)
		if err != nil {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}
