package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
	"sluice.dev/sluice/internal/release"
)

// Client is how the CLI and the dashboard reach local releases: the state
// file says where the running runner's control endpoint is; without a
// runner the state file itself still shows the last known status, and
// takes commands for the next runner.
type Client struct {
	StateDir string
	HTTP     *http.Client
	// Secrets asks for views with the environment and URLs in them.
	Secrets bool
}

// NewClient returns a client for the releases in stateDir.
func NewClient(stateDir string) *Client {
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	return &Client{StateDir: stateDir, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

// ErrNotRunning means the release has a state file but no live runner.
var ErrNotRunning = fmt.Errorf("sluice run is not running for this release: %w", release.ErrNotRunning)

// Get returns the live view when the runner answers, else the saved one
// (Live false).
func (c *Client) Get(ctx context.Context, name string) (*release.View, bool, error) {
	s, err := LoadState(StatePath(c.StateDir, name))
	if err != nil {
		return nil, false, err
	}
	if s.Runner != nil && s.Runner.Control != "" {
		var v release.View
		if err := c.do(ctx, http.MethodGet, s.Runner.Control+"/v1/release", nil, &v); err == nil {
			return c.redact(&v), true, nil
		}
	}
	return c.redact(viewOfState(s)), false, nil
}

// List returns every release in the state dir, as saved.
func (c *Client) List(context.Context) ([]*release.View, error) {
	states, err := ListStates(c.StateDir)
	if err != nil {
		return nil, err
	}
	out := make([]*release.View, 0, len(states))
	for _, s := range states {
		out = append(out, c.redact(viewOfState(s)))
	}
	return out, nil
}

// Command sends promote, promote-full, abort, pause, resume or retry to the
// running runner, or queues it for the next one, and returns its id.
func (c *Client) Command(ctx context.Context, name, command string) (string, error) {
	id, _, err := c.CommandOrQueue(ctx, name, command)
	return id, err
}

// CommandOrQueue is Command, reporting whether the command was queued in
// the state file because no runner runs the release: the next `sluice
// run` of it applies the command first.
func (c *Client) CommandOrQueue(ctx context.Context, name, command string) (id string, queued bool, err error) {
	if _, ok := engine.ParseCommandKind(command); !ok && command != CommandPause && command != CommandResume {
		return "", false, fmt.Errorf("unknown command %q (promote, promote-full, abort, pause, resume, retry)", command)
	}
	s, err := LoadState(StatePath(c.StateDir, name))
	if err != nil {
		return "", false, err
	}
	if s.Runner != nil && s.Runner.Control != "" {
		var out struct {
			Command string `json:"command"`
		}
		err := c.do(ctx, http.MethodPost, s.Runner.Control+"/v1/release/"+command, nil, &out)
		if err == nil || !errors.Is(err, ErrNotRunning) {
			return out.Command, false, err
		}
	}
	id, err = c.queue(name, command)
	return id, err == nil, err
}

// queue writes a command into the state file of a release no runner
// holds; the release's lock keeps a runner from starting meanwhile.
func (c *Client) queue(name, command string) (string, error) {
	unlock, err := lockRelease(filepath.Join(c.StateDir, name+".lock"))
	if errors.Is(err, errLocked) {
		return "", fmt.Errorf("%s: a runner holds the release but does not answer yet; try again", name)
	}
	if err != nil {
		return "", err
	}
	defer unlock()
	path := StatePath(c.StateDir, name)
	s, err := LoadState(path)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("%s-%d-queued", command, time.Now().UnixNano())
	switch command {
	case CommandPause, CommandResume:
		s.Release.Spec.Paused = command == CommandPause
	default:
		k, _ := engine.ParseCommandKind(command)
		s.Pending = append(s.Pending, engine.Command{ID: id, Kind: k})
	}
	s.Runner = nil
	if err := SaveState(path, s); err != nil {
		return "", err
	}
	return id, nil
}

// Apply hands a release file to the runner that runs it; the next tick
// runs the new spec (a new canary starts the next release).
func (c *Client) Apply(ctx context.Context, rel *v1alpha1.Release) (string, error) {
	s, err := LoadState(StatePath(c.StateDir, rel.Name))
	if err != nil {
		return "", err
	}
	if s.Runner == nil || s.Runner.Control == "" {
		return "", fmt.Errorf("%s: %w", rel.Name, ErrNotRunning)
	}
	body, err := json.Marshal(rel)
	if err != nil {
		return "", fmt.Errorf("encoding the release: %w", err)
	}
	var out struct {
		Result string `json:"result"`
	}
	if err := c.do(ctx, http.MethodPut, s.Runner.Control+"/v1/release", body, &out); err != nil {
		return "", err
	}
	return out.Result, nil
}

// Runner says where the release's runner is, if one answers.
func (c *Client) Runner(ctx context.Context, name string) (*RunnerInfo, bool) {
	s, err := LoadState(StatePath(c.StateDir, name))
	if err != nil || s.Runner == nil || s.Runner.Control == "" {
		return nil, false
	}
	var v release.View
	if c.do(ctx, http.MethodGet, s.Runner.Control+"/v1/release", nil, &v) != nil {
		return nil, false
	}
	return s.Runner, true
}

func (c *Client) redact(v *release.View) *release.View {
	if c.Secrets {
		return v
	}
	return v.Redact()
}

// viewOfState is the view of a release no runner runs: as saved.
func viewOfState(s *State) *release.View {
	rel := s.Release.DeepCopy()
	stable := ""
	if l := rel.Spec.Workload.Local; l != nil {
		stable = l.Stable.Version
	}
	if s.Stable != nil {
		stable = s.Stable.Version
	}
	canary := ""
	if l := rel.Spec.Workload.Local; l != nil {
		canary = l.Canary.Version
	}
	v := release.NewView(rel, stable, canary, s.UpdatedAt)
	v.Checks, v.ChartWindow = s.Checks, liveWindow.String()
	return v.Settle()
}

// do calls the control endpoint with the token. A runner that does not
// answer is ErrNotRunning.
func (c *Client) do(ctx context.Context, method, url string, body []byte, out any) error {
	token, err := ReadToken(c.StateDir)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("control request: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return errors.Join(ErrNotRunning, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("control endpoint: %s", resp.Status)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	return nil
}
