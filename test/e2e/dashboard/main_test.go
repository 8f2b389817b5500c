package dashboard

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// appBin is the sample app and sluiceBin the CLI, built once for all tests.
var appBin, sluiceBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-dashboard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "app")
	sluiceBin = filepath.Join(dir, "sluice")
	for bin, pkg := range map[string]string{appBin: "sluice.dev/sluice/examples/app", sluiceBin: "sluice.dev/sluice/cmd/sluice"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", pkg+":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
