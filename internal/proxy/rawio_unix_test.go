//go:build unix

package proxy

import (
	"os"
	"syscall"
	"testing"
)

// TestNonBlocking: raw reads are used only on sockets that cannot block.
func TestNonBlocking(t *testing.T) {
	tests := map[string]struct {
		nonblock bool
		want     bool
	}{
		"blocking socket":     {nonblock: false, want: false},
		"non-blocking socket": {nonblock: true, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Close(fds[1]) })
			if err := syscall.SetNonblock(fds[0], tc.nonblock); err != nil {
				t.Fatal(err)
			}
			f := os.NewFile(uintptr(fds[0]), "socket")
			t.Cleanup(func() { _ = f.Close() })
			raw, err := f.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			if got := nonBlocking(raw); got != tc.want {
				t.Errorf("nonBlocking = %v, want %v", got, tc.want)
			}
		})
	}
}
