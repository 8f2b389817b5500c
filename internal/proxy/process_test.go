package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// upstreamProcessEnv makes the test binary serve as an upstream process, so
// tests can kill a real process under load.
const upstreamProcessEnv = "SLUICE_PROXY_TEST_UPSTREAM"

// TestHelperUpstreamProcess is not a test: started by startUpstreamProcess
// with upstreamProcessEnv set, it serves on a free loopback port, prints
// the address, and serves until killed (or for a minute at most).
func TestHelperUpstreamProcess(t *testing.T) {
	name := os.Getenv(upstreamProcessEnv)
	if name == "" {
		t.Skip("helper process; runs only when started by a test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("X-Backend", name)
			_, _ = io.WriteString(w, name)
		}),
	}
	go func() {
		time.Sleep(time.Minute)
		os.Exit(0)
	}()
	_ = srv.Serve(ln)
	os.Exit(0)
}

// upstreamProcess is an upstream running as its own process.
type upstreamProcess struct {
	cmd  *exec.Cmd
	URL  string
	done chan struct{}
}

// startUpstreamProcess starts the test binary as an upstream named name and
// waits until it listens. The process is killed at cleanup.
func startUpstreamProcess(t *testing.T, name string) *upstreamProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperUpstreamProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), upstreamProcessEnv+"="+name, "GOMAXPROCS=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start upstream process: %v", err)
	}
	up := &upstreamProcess{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { up.kill(t) })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		_ = cmd.Wait()
		close(up.done)
	}()
	select {
	case a := <-addr:
		if _, _, err := net.SplitHostPort(a); err != nil {
			t.Fatalf("upstream process said %q", a)
		}
		up.URL = "http://" + a
	case <-time.After(10 * time.Second):
		t.Fatal("upstream process did not start in 10s")
	}
	return up
}

// kill sends SIGKILL, as a crash or the OOM killer would, and waits for
// the process to be gone.
func (u *upstreamProcess) kill(t *testing.T) {
	t.Helper()
	select {
	case <-u.done:
		return
	default:
	}
	_ = u.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
		t.Errorf("upstream process %d still running 5s after SIGKILL", u.cmd.Process.Pid)
	}
}
