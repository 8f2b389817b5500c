//go:build !unix

package local

import (
	"errors"
	"os"
	"syscall"
)

// Without process groups the best Sluice can do is stop the child itself.
func sysProcAttr() *syscall.SysProcAttr { return nil }

const (
	sigTerm = syscall.Signal(0xf)
	sigKill = syscall.Signal(0x9)
)

func signalGroup(p *os.Process, sig syscall.Signal) error {
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
