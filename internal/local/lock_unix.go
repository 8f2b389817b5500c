//go:build unix

package local

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errLocked means another runner holds the release.
var errLocked = errors.New("another sluice run holds this release")

// lockRelease takes the release's lock file for this process, so two
// runners never drive one release; the kernel lets it go when the process
// dies, however it dies.
func lockRelease(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil
}
