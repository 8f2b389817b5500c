//go:build unix

package local

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// signalGroup sends sig to the whole process group led by pid, so helpers
// the version started (a shell's children, a dev server's workers) stop
// with it. A group that is already gone is not an error.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	err := syscall.Kill(-p.Pid, sig)
	if err == nil || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return fmt.Errorf("signal process group %d: %w", p.Pid, err)
}

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)
