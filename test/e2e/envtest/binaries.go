package envtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The Go packages end-to-end tests run as real processes.
const (
	SluicePackage = "sluice.dev/sluice/cmd/sluice"
	AppPackage    = "sluice.dev/sluice/examples/app"
)

// Binary is a Go package to build for a test binary's run, and where to
// store the path of what was built.
type Binary struct {
	Package string
	Path    *string
}

// MainWithBinaries is a TestMain for packages that drive Sluice or the
// sample app as real processes: it builds each package once into a fresh
// temporary directory, runs the tests and removes the directory. A build
// that fails ends the run with the compiler's output, before any test.
func MainWithBinaries(m *testing.M, bins ...Binary) {
	dir, err := os.MkdirTemp("", "sluice-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, b := range bins {
		*b.Path = filepath.Join(dir, filepath.Base(b.Package))
		cmd := exec.Command("go", "build", "-o", *b.Path, b.Package)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", b.Package+":", err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
