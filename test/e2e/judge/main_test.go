package judge

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// appBin is the sample app, built once: the versions are real processes.
var appBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-judge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-o", appBin, "sluice.dev/sluice/examples/app")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the sample app:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
