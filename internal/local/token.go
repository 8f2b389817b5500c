package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenPath is the file that holds a state dir's token: the one secret
// that allows promote, abort, pause, resume and retry on its releases,
// through a runner's control endpoint or the dashboard.
func TokenPath(dir string) string { return filepath.Join(dir, "token") }

// ReadToken reads the state dir's token; "" when there is none yet.
func ReadToken(dir string) (string, error) {
	b, err := os.ReadFile(TokenPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// EnsureToken returns the state dir's token, creating it (0600) when
// there is none. Two processes creating it at once agree: the file is
// created exclusively, and the loser reads the winner's.
func EnsureToken(dir string) (string, error) {
	if t, err := ReadToken(dir); err != nil || t != "" {
		return t, err
	}
	if err := ensureDir(dir); err != nil {
		return "", err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("making a token: %w", err)
	}
	token := hex.EncodeToString(raw)
	f, err := os.OpenFile(TokenPath(dir), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadToken(dir)
	}
	if err != nil {
		return "", fmt.Errorf("writing the token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("writing the token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing the token: %w", err)
	}
	return token, nil
}
