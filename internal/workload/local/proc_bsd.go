//go:build unix && !linux

package local

import "syscall"

// sysProcAttr puts the child in a process group of its own so Stop reaches
// all of it. Outside Linux there is no parent-death signal; StopAll is the
// only guard.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
