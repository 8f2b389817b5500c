package kubedashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Dashboard is `sluice dashboard` running as its own process.
type Dashboard struct {
	// Base is its address, http://127.0.0.1:port.
	Base string
	// Token allows commands.
	Token string
	out   *lockedBuffer
}

// Output is what the process printed so far, stdout and stderr.
func (d *Dashboard) Output() string { return d.out.String() }

// OutputHas waits up to within for the process to print want. Its stderr
// reaches the buffer through a pipe copied by another goroutine, so a line
// logged before an answer may arrive after it.
func (d *Dashboard) OutputHas(want string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		if strings.Contains(d.out.String(), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p) //nolint:wrapcheck // a bytes.Buffer never fails
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestToken is the token StartDashboard gives the dashboard.
const TestToken = "kube-dashboard-e2e-token"

// StartDashboard runs `bin dashboard` against the cluster of kubeconfig
// with args, waits for the address it prints, and stops it when the test
// ends.
func StartDashboard(t testing.TB, bin, kubeconfig string, args ...string) *Dashboard {
	t.Helper()
	full := append([]string{"--kubeconfig", kubeconfig, "dashboard", "--addr", "127.0.0.1:0", "--token", TestToken}, args...)
	cmd := exec.Command(bin, full...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logs.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "Sluice dashboard: "); ok {
				select {
				case first <- u:
				default:
				}
			}
		}
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case err := <-done:
			_ = err // killed: the exit status says so and nothing more
		case <-time.After(10 * time.Second):
			t.Errorf("sluice dashboard %v did not exit", args)
		}
		if t.Failed() {
			t.Logf("sluice dashboard %v output:\n%s", args, logs.String())
		}
	})
	select {
	case u := <-first:
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatalf("dashboard URL %q: %v", u, err)
		}
		return &Dashboard{Base: "http://" + parsed.Host, Token: TestToken, out: logs}
	case err := <-done:
		t.Fatalf("sluice dashboard %v exited: %v\n%s", args, err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice dashboard %v printed no address in 30s:\n%s", args, logs.String())
	}
	return nil
}

// Call sends a request to the dashboard and decodes a JSON answer into
// out (when not nil); it returns the status code and the body.
func (d *Dashboard) Call(t testing.TB, method, path string, withToken bool, out any) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, d.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withToken {
		req.Header.Set("Authorization", "Bearer "+d.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, body, err)
		}
	}
	return resp.StatusCode, string(body)
}
