package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client is how the CLI reaches local releases: the state file tells where
// the running runner's control endpoint is; without a runner the state file
// itself still shows the last known status.
type Client struct {
	StateDir string
	HTTP     *http.Client
}

// NewClient returns a client for the releases in stateDir.
func NewClient(stateDir string) *Client {
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	return &Client{StateDir: stateDir, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

// ErrNotRunning means the release has a state file but no live runner.
var ErrNotRunning = errors.New("sluice run is not running for this release")

// Get returns the live snapshot when the runner answers, else the saved one
// with live=false.
func (c *Client) Get(ctx context.Context, name string) (snap *Snapshot, live bool, err error) {
	saved, err := LoadSnapshot(StatePath(c.StateDir, name))
	if err != nil {
		return nil, false, err
	}
	if saved.Control == "" {
		return saved, false, nil
	}
	var s Snapshot
	if err := c.do(ctx, http.MethodGet, saved.Control+"/v1/release", &s); err != nil {
		return saved, false, nil //nolint:nilerr // the runner is gone: show what it saved
	}
	return &s, true, nil
}

// List returns every release in the state dir, as saved.
func (c *Client) List(context.Context) ([]*Snapshot, error) {
	return ListSnapshots(c.StateDir)
}

// Command sends promote, promote-full, abort, pause, resume or retry to the
// running runner and returns the command's id.
func (c *Client) Command(ctx context.Context, name, command string) (string, error) {
	saved, err := LoadSnapshot(StatePath(c.StateDir, name))
	if err != nil {
		return "", err
	}
	if saved.Control == "" {
		return "", fmt.Errorf("%s: %w", name, ErrNotRunning)
	}
	var out struct {
		Command string `json:"command"`
	}
	if err := c.do(ctx, http.MethodPost, saved.Control+"/v1/release/"+command, &out); err != nil {
		return "", err
	}
	return out.Command, nil
}

func (c *Client) do(ctx context.Context, method, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return fmt.Errorf("control request: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return errors.Join(ErrNotRunning, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("control endpoint: %s", resp.Status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("control response: %w", err)
	}
	return nil
}
