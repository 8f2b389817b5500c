package local

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVersion builds sluice the way a user's clone does (a git repository,
// VCS stamping on) and checks that `sluice version` names that commit and
// its date, and the pseudo-version the go command derives from them; and
// that a version given at build time (make image) replaces the module
// version. The working tree is copied into a fresh repository so the test
// sees uncommitted code, and a git worktree (which the go command does not
// stamp) does not hide the commit.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sluice twice")
	}
	repo := copyWorkingTree(t)
	const date = "2026-05-01T12:00:00Z"
	gitIn(t, repo, nil, "init", "-q")
	gitIn(t, repo, nil, "add", "-A")
	env := []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date,
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com"}
	gitIn(t, repo, env, "commit", "-q", "-m", "test build")
	head := strings.TrimSpace(gitIn(t, repo, nil, "rev-parse", "HEAD"))

	bin := filepath.Join(t.TempDir(), "sluice")
	goBuildIn(t, repo, "-buildvcs=true", "-o", bin, "./cmd/sluice")
	var v struct{ Version, Commit, Date, Go, Platform string }
	if err := json.Unmarshal(binOutput(t, bin, "version", "-o", "json"), &v); err != nil {
		t.Fatal(err)
	}
	if v.Commit != head || v.Date != date || !strings.HasSuffix(v.Version, head[:12]) || !strings.HasPrefix(v.Go, "go1.") {
		t.Errorf("sluice version -o json = %+v; want commit %s of %s and a pseudo-version ending in %s", v, head, date, head[:12])
	}
	line := string(binOutput(t, bin, "version"))
	if want := "sluice " + v.Version + " (commit " + head[:12] + ", " + date + ") go1."; !strings.HasPrefix(line, want) {
		t.Errorf("sluice version = %q, want it to start with %q", line, want)
	}

	goBuildIn(t, repo, "-buildvcs=true", "-ldflags=-X sluice.dev/sluice/internal/cli.Version=v9.9.9", "-o", bin, "./cmd/sluice")
	if line := string(binOutput(t, bin, "version")); !strings.HasPrefix(line, "sluice v9.9.9 (commit "+head[:12]) {
		t.Errorf("with -X …Version=v9.9.9: sluice version = %q", line)
	}
}

// copyWorkingTree copies the files git knows of (committed or not, ignored
// ones left out) into a new directory.
func copyWorkingTree(t *testing.T) string {
	t.Helper()
	top := strings.TrimSpace(gitIn(t, ".", nil, "rev-parse", "--show-toplevel"))
	dst := t.TempDir()
	for _, f := range strings.Split(gitIn(t, top, nil, "ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00") {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(top, f))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func gitIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func goBuildIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, out)
	}
}

func binOutput(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out.String())
	}
	return out.Bytes()
}
