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

// dashboardProc is `sluice dashboard` running as its own process.
type dashboardProc struct {
	base  string // http://127.0.0.1:port
	token string
	out   *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const testToken = "kube-dashboard-e2e-token"

// startDashboard runs the sluice binary's dashboard with args, waits for
// the address it prints, and stops it when the test ends.
func startDashboard(t *testing.T, kubeconfig string, args ...string) *dashboardProc {
	t.Helper()
	full := append([]string{"--kubeconfig", kubeconfig, "dashboard", "--addr", "127.0.0.1:0", "--token", testToken}, args...)
	cmd := exec.Command(sluiceBin, full...)
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
		return &dashboardProc{base: "http://" + parsed.Host, token: testToken, out: logs}
	case err := <-done:
		t.Fatalf("sluice dashboard %v exited: %v\n%s", args, err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice dashboard %v printed no address in 30s:\n%s", args, logs.String())
	}
	return nil
}

// call sends a request to the dashboard and decodes a JSON answer into
// out (when not nil); it returns the status code and the body.
func (d *dashboardProc) call(t *testing.T, method, path string, withToken bool, out any) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if withToken {
		req.Header.Set("Authorization", "Bearer "+d.token)
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
