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
)

// Snapshot is everything a person or a script may want to see of a local
// release. It is both the state file's content and the control endpoint's
// answer, so `sluice get` works whether or not `sluice run` is running.
type Snapshot struct {
	Release v1alpha1.Release `json:"release"`
	// Versions are the live figures of stable and canary.
	Versions []VersionView `json:"versions"`
	// Control is the loopback address of the running runner's endpoint.
	Control string `json:"control,omitempty"`
	// PID is the runner's process id, for people.
	PID int `json:"pid,omitempty"`
	// ProxyAddress is where users send traffic.
	ProxyAddress string `json:"proxyAddress,omitempty"`
	// Judge is the statistical judge's last verdict, when it is on.
	Judge *JudgeView `json:"judge,omitempty"`
	// JudgeState is the judge's evidence, so a restart resumes it.
	JudgeState *savedJudge `json:"judgeState,omitempty"`
	// Checks are the check results kept for charts, newest last.
	Checks    []CheckPoint `json:"checks,omitempty"`
	UpdatedAt time.Time    `json:"updatedAt"`
}

// VersionView is one version's live state.
type VersionView struct {
	// Name is "stable" or "canary".
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
	URL      string `json:"url,omitempty"`
	PID      int    `json:"pid,omitempty"`
	Revision string `json:"revision,omitempty"`
	Ready    bool   `json:"ready"`
	Running  bool   `json:"running"`
	// Weight is the percent of traffic it gets.
	Weight int32 `json:"weight"`
	// Requests is the total count since the runner started.
	Requests uint64 `json:"requests"`
	// RPS, SuccessRate (percent) and P99Millis are over the last window;
	// SuccessRate and P99Millis are nil without requests.
	RPS         float64  `json:"rps"`
	SuccessRate *float64 `json:"successRate,omitempty"`
	P99Millis   *float64 `json:"p99Millis,omitempty"`
	// Ejected is true while the proxy sends this version no traffic because
	// it stopped answering; Ejections counts such times.
	Ejected            bool   `json:"ejected,omitempty"`
	Ejections          uint64 `json:"ejections,omitempty"`
	LastEjectionReason string `json:"lastEjectionReason,omitempty"`
	// Retries counts requests this version failed that the proxy sent to
	// the other version instead.
	Retries uint64 `json:"retries,omitempty"`
}

// JudgeView is the judge's verdict as shown to people.
type JudgeView struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// CheckPoint is one moment of the release for charts.
type CheckPoint struct {
	Time   time.Time `json:"time"`
	Weight int32     `json:"weight"`
	// Stable and Canary are the versions' figures at that time.
	Stable VersionPoint `json:"stable"`
	Canary VersionPoint `json:"canary"`
}

// VersionPoint is a version's figures at one time.
type VersionPoint struct {
	// RPS is nil when it is not known (a cluster release whose Prometheus
	// had nothing), so a chart shows a gap, not a drop to zero.
	RPS         *float64 `json:"rps,omitempty"`
	SuccessRate *float64 `json:"successRate,omitempty"`
	P99Millis   *float64 `json:"p99Millis,omitempty"`
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
var ErrNoState = errors.New("no such release")

// LoadSnapshot reads a state file.
func LoadSnapshot(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoState)
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading state %s: %w", path, err)
	}
	return &s, nil
}

// SaveSnapshot writes a state file atomically (write then rename), so a
// crash never leaves half a file behind.
func SaveSnapshot(path string, s *Snapshot) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating state dir: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// ListSnapshots reads every state file in dir.
func ListSnapshots(dir string) ([]*Snapshot, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var out []*Snapshot
	for _, p := range paths {
		s, err := LoadSnapshot(p)
		if err != nil {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}
