//go:build linux

package local

import "syscall"

// sysProcAttr puts the child in a process group of its own (so Stop reaches
// all of it) and asks the kernel to kill it if Sluice dies without
// stopping it, which is what keeps a crashed or killed Sluice from leaving
// versions running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
