package envtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// ScrapeJob is the job label Prometheus gives every target of StartPrometheus.
const ScrapeJob = "sluice-e2e"

// Prometheus is a real Prometheus server scraping the test's targets every
// second, with its storage in a temporary directory. It is stopped when the
// test that started it ends.
type Prometheus struct {
	// URL is the server's base address, e.g. http://127.0.0.1:40123 — what
	// a Release's Prometheus address or the controller's flag points at.
	URL string
	// API is a query client for URL.
	API promv1.API

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	logs *tailBuffer
}

// StartPrometheus starts $SLUICE_PROMETHEUS on a free 127.0.0.1 port,
// scraping each target (host:port, path /metrics) every second, and waits
// until it reports ready. A new target's first samples take a few seconds
// to become queryable; use WaitForSeries rather than sleeping.
func StartPrometheus(t testing.TB, scrapeTargets []string) *Prometheus {
	t.Helper()
	bin := requirePath(t, EnvPrometheus)
	requireExecutable(t, EnvPrometheus, bin)
	for _, target := range scrapeTargets {
		if err := checkTarget(target); err != nil {
			t.Fatalf("StartPrometheus: %v", err)
		}
	}

	dir := t.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(scrapeConfig(scrapeTargets)), 0o600); err != nil {
		t.Fatalf("writing the Prometheus config: %v", err)
	}

	// A free port can be taken by someone else between our probe and
	// Prometheus binding it; try a few times before giving up.
	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		p, err := startPrometheus(t, bin, configPath, filepath.Join(dir, fmt.Sprintf("data-%d", attempt)))
		if err == nil {
			return p
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	t.Fatalf("starting Prometheus (%s): %v", bin, errors.Join(errs...))
	return nil
}

func startPrometheus(t testing.TB, bin, configPath, dataDir string) (*Prometheus, error) {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logs := &tailBuffer{max: 64 << 10}
	cmd := exec.Command(bin,
		"--config.file="+configPath,
		"--storage.tsdb.path="+dataDir,
		"--storage.tsdb.retention.time=1h",
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so a signal to the test's terminal does not
	// race with our orderly stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}
	p := &Prometheus{URL: "http://" + addr, cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()

	began := time.Now()
	if err := p.waitReady(60 * time.Second); err != nil {
		return nil, errors.Join(fmt.Errorf("%w; output:\n%s", err, logs.String()), p.stop(10*time.Second))
	}
	c, err := promapi.NewClient(promapi.Config{Address: p.URL})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating a Prometheus client for %s: %w", p.URL, err), p.stop(10*time.Second))
	}
	p.API = promv1.NewAPI(c)
	t.Logf("prometheus: pid %d ready at %s in %s", cmd.Process.Pid, p.URL, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := p.stop(15 * time.Second); err != nil {
			t.Errorf("stopping Prometheus: %v", err)
		}
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	return p, nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or the
// timeout passes.
func (p *Prometheus) waitReady(timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("prometheus exited before it was ready (%s)", p.cmd.ProcessState)
		default:
		}
		resp, err := hc.Get(p.URL + "/-/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("prometheus at %s not ready after %s", p.URL, timeout)
}

// stop sends SIGTERM to the process by its PID, and SIGKILL if it has not
// exited within grace; it waits at most another five seconds after that.
func (p *Prometheus) stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM to pid %d: %w", pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	select {
	case <-p.done:
		return fmt.Errorf("pid %d ignored SIGTERM for %s and was killed", pid, grace)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("pid %d still running after SIGKILL", pid)
	}
}

// WaitForSeries runs an instant query until it returns at least one sample,
// and returns them. It gives up when timeout passes or ctx ends, with the
// last query error, if any, in the message.
func (p *Prometheus) WaitForSeries(ctx context.Context, query string, timeout time.Duration) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		v, _, _, err := p.API.Query(qctx, query, time.Now())
		qcancel()
		switch {
		case err != nil:
			lastErr = err
		case v.Type() != model.ValVector:
			return nil, fmt.Errorf("query %q returned a %s, want a vector", query, v.Type())
		case len(v.(model.Vector)) > 0:
			return v.(model.Vector), nil
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("no series for %q within %s (last error: %w)", query, timeout, lastErr)
			}
			return nil, fmt.Errorf("no series for %q within %s: %w", query, timeout, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// scrapeConfig is a Prometheus configuration with a one-second scrape and
// evaluation interval and one static job holding every target.
func scrapeConfig(targets []string) string {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	b.WriteString("scrape_configs:\n  - job_name: " + ScrapeJob + "\n    metrics_path: /metrics\n    static_configs:\n      - targets: [")
	for i, target := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + target + `"`)
	}
	b.WriteString("]\n")
	return b.String()
}

// checkTarget accepts host:port on the loopback interface only: the tests
// never reach out of the machine.
func checkTarget(target string) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("scrape target %q: want host:port: %w", target, err)
	}
	if port == "" || port == "0" {
		return fmt.Errorf("scrape target %q: no port", target)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("scrape target %q: want a loopback address such as 127.0.0.1", target)
	}
	return nil
}

// Stop stops the server before its test ends, as an outage would: queries
// to URL are refused from then on.
func (p *Prometheus) Stop() error { return p.stop(10 * time.Second) }
