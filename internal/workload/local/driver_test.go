package local

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	return strings.TrimSpace(string(b))
}

func TestStartStableAndCanary(t *testing.T) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	d := newDriver(t, Options{Stdout: out, Stderr: errOut, HealthInterval: 50 * time.Millisecond})
	ctx := testCtx(t)

	// Stable gets its port through the placeholder, canary through $PORT.
	stable, err := d.Start(ctx, Version{Name: Stable, Spec: v1alpha1.LocalVersion{
		Version: "v1", Command: []string{appBin, "--version", "v1", "--listen", "127.0.0.1:{{port}}"},
	}})
	if err != nil {
		t.Fatalf("Start(stable): %v", err)
	}
	canary, err := d.Start(ctx, Version{Name: Canary, Spec: v1alpha1.LocalVersion{
		Version: "v2", Command: []string{appBin}, Env: map[string]string{"VERSION": "v2"}, HealthPath: "/version",
	}})
	if err != nil {
		t.Fatalf("Start(canary): %v", err)
	}

	for _, tc := range []struct {
		inst *Instance
		want string
	}{{stable, "v1"}, {canary, "v2"}} {
		if !tc.inst.Ready() {
			t.Errorf("%s not ready right after Start", tc.inst.Name())
		}
		if tc.inst.PID() <= 0 || !alive(tc.inst.PID()) {
			t.Errorf("%s pid %d not running", tc.inst.Name(), tc.inst.PID())
		}
		if h := tc.inst.URL().Hostname(); h != "127.0.0.1" {
			t.Errorf("%s URL host %q, want 127.0.0.1", tc.inst.Name(), h)
		}
		if got := getBody(t, tc.inst.URL().String()+"/version"); got != tc.want {
			t.Errorf("%s /version = %q, want %q", tc.inst.Name(), got, tc.want)
		}
	}
	if stable.URL().String() == canary.URL().String() {
		t.Errorf("stable and canary share %s", stable.URL())
	}
	if stable.Revision() == canary.Revision() {
		t.Errorf("different specs share revision %s", stable.Revision())
	}
	eventually(t, 5*time.Second, "children's output is prefixed", func() bool {
		return strings.Contains(out.String(), "[stable] sample app v1 listening") &&
			strings.Contains(out.String(), "[canary] sample app v2 listening")
	})

	if err := d.StopAll(ctx); err != nil {
		t.Fatalf("StopAll: %v", err)
	}
	for _, inst := range []*Instance{stable, canary} {
		select {
		case <-inst.Exited():
		default:
			t.Errorf("%s Exited not closed after StopAll", inst.Name())
		}
		if inst.Ready() {
			t.Errorf("%s still ready after StopAll", inst.Name())
		}
		if alive(inst.PID()) {
			t.Errorf("%s pid %d survived StopAll", inst.Name(), inst.PID())
		}
	}
	// The sample app shuts down gracefully on SIGTERM.
	if !strings.Contains(out.String(), "[canary] sample app v2 stopped") {
		t.Errorf("canary did not stop gracefully; output:\n%s", out.String())
	}
}

func TestKilledProcessTurnsNotReady(t *testing.T) {
	d := newDriver(t, Options{HealthInterval: 50 * time.Millisecond})
	inst, err := d.Start(testCtx(t), Version{Name: Canary, Spec: v1alpha1.LocalVersion{Command: []string{appBin}}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := syscall.Kill(inst.PID(), syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	select {
	case <-inst.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("Exited not closed 5s after kill -9")
	}
	if inst.Ready() {
		t.Error("Ready() = true after the process died")
	}
	if err := inst.ExitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("ExitErr() = %v, want a kill signal", err)
	}
	// Stop of a dead process succeeds, as often as asked, from anywhere.
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := inst.Stop(testCtx(t)); err != nil {
				t.Errorf("Stop after death: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestStopIsIdempotent(t *testing.T) {
	d := newDriver(t, Options{})
	inst, err := d.Start(testCtx(t), Version{Name: Stable, Spec: v1alpha1.LocalVersion{Command: []string{appBin}}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := inst.PID()
	for n := range 3 {
		start := time.Now()
		if err := inst.Stop(testCtx(t)); err != nil {
			t.Fatalf("Stop #%d: %v", n+1, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Stop #%d took %v", n+1, took)
		}
	}
	if alive(pid) {
		t.Errorf("pid %d alive after Stop", pid)
	}
	if inst.Ready() {
		t.Error("Ready() after Stop")
	}
	// The sample app exits cleanly on SIGTERM.
	if err := inst.ExitErr(); err != nil {
		t.Errorf("ExitErr() = %v, want a clean exit after SIGTERM", err)
	}
}

func TestStopKillsWholeProcessGroup(t *testing.T) {
	d := newDriver(t, Options{})
	pidFile := filepath.Join(t.TempDir(), "helper.pid")
	// The shell starts a helper in the background, then becomes the app.
	script := `sleep 300 & echo $! > "$PID_FILE"; exec "$APP_BIN"`
	inst, err := d.Start(testCtx(t), Version{Name: Canary, Spec: v1alpha1.LocalVersion{
		Command: []string{"/bin/sh", "-c", script},
		Env:     map[string]string{"PID_FILE": pidFile, "APP_BIN": appBin},
	}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("read helper pid: %v", err)
	}
	helper, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(helper) {
		t.Fatalf("helper pid %q not running (%v)", b, err)
	}
	if err := inst.Stop(testCtx(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	eventually(t, 5*time.Second, "the background helper dies with its group", func() bool { return !alive(helper) })
}

func TestStopEscalatesToKill(t *testing.T) {
	d := newDriver(t, Options{StopGrace: 200 * time.Millisecond})
	// The shell ignores SIGTERM and keeps the app in the foreground; the
	// app exits on SIGTERM but the shell does not, so only SIGKILL ends it.
	script := `trap '' TERM; "$APP_BIN"; sleep 300`
	inst, err := d.Start(testCtx(t), Version{Name: Canary, Spec: v1alpha1.LocalVersion{
		Command: []string{"/bin/sh", "-c", script}, Env: map[string]string{"APP_BIN": appBin},
	}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	start := time.Now()
	if err := inst.Stop(testCtx(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	took := time.Since(start)
	if took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("Stop took %v, want the 200ms grace then a kill", took)
	}
	if err := inst.ExitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("ExitErr() = %v, want SIGKILL", err)
	}
}

func TestStartErrors(t *testing.T) {
	tests := map[string]struct {
		spec v1alpha1.LocalVersion
		name string
		want []string
	}{
		"exits at once": {
			spec: v1alpha1.LocalVersion{Command: []string{"/bin/sh", "-c", `echo "listen: address already in use" >&2; exit 3`}},
			want: []string{"exited before it became healthy", "exit status 3", "address already in use"},
		},
		"never healthy": {
			spec: v1alpha1.LocalVersion{Command: []string{"sleep", "60"}, StartTimeout: duration(400 * time.Millisecond)},
			want: []string{"not healthy", "within 400ms", "connection refused"},
		},
		"unhealthy answers": {
			spec: v1alpha1.LocalVersion{Command: []string{appBin, "--error-rate", "1"}, HealthPath: "/", StartTimeout: duration(1500 * time.Millisecond)},
			want: []string{"not healthy", "status 500"},
		},
		"no such program": {
			spec: v1alpha1.LocalVersion{Command: []string{"/nonexistent/sluice-test-program"}},
			want: []string{"/nonexistent/sluice-test-program", "no such file"},
		},
		"both command and url": {
			spec: v1alpha1.LocalVersion{Command: []string{appBin}, URL: "http://127.0.0.1:1"},
			want: []string{"exactly one"},
		},
		"neither command nor url": {
			want: []string{"exactly one"},
		},
		"relative url": {
			spec: v1alpha1.LocalVersion{URL: "127.0.0.1/app"},
			want: []string{"absolute http"},
		},
		"no name": {
			name: "-",
			spec: v1alpha1.LocalVersion{Command: []string{appBin}},
			want: []string{"no name"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := newDriver(t, Options{})
			v := Version{Name: Canary, Spec: tc.spec}
			if tc.name == "-" {
				v.Name = ""
			}
			start := time.Now()
			inst, err := d.Start(testCtx(t), v)
			if err == nil {
				t.Fatalf("Start() = pid %d, want an error", inst.PID())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("Start took %v to fail", took)
			}
			if n := len(d.instances); n != 0 {
				t.Errorf("driver still tracks %d instances after a failed start", n)
			}
		})
	}
}

func TestFailedStartLeavesNoProcess(t *testing.T) {
	d := newDriver(t, Options{})
	pidFile := filepath.Join(t.TempDir(), "pid")
	_, err := d.Start(testCtx(t), Version{Name: Canary, Spec: v1alpha1.LocalVersion{
		Command:      []string{"/bin/sh", "-c", `echo $$ > "$PID_FILE"; exec sleep 60`},
		Env:          map[string]string{"PID_FILE": pidFile},
		StartTimeout: duration(300 * time.Millisecond),
	}})
	if err == nil {
		t.Fatal("Start() succeeded for a command that never listens")
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatalf("read pid: %v", rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	eventually(t, 5*time.Second, "the timed-out process is stopped", func() bool { return !alive(pid) })
}

func TestStartRespectsContext(t *testing.T) {
	d := newDriver(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := d.Start(ctx, Version{Name: Canary, Spec: v1alpha1.LocalVersion{Command: []string{"sleep", "60"}}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start() = %v, want context.DeadlineExceeded", err)
	}
}

func TestNoChildOutlivesParent(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs Linux for the parent-death signal")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=orphan-parent", "APP_BIN="+appBin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper parent: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid <= 0 {
		t.Fatalf("helper printed %q, want a pid", out)
	}
	eventually(t, 5*time.Second, "the orphaned child dies with its parent", func() bool { return !alive(pid) })
}
