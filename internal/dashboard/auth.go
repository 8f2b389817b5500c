package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// GenerateToken returns a fresh random token for a dashboard started
// without one: 32 random bytes, URL-safe, so it can travel in ?token=.
func GenerateToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a dashboard token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// authorize answers whether a request may act on releases, and if not,
// the status and the sentence to show: 403 when the dashboard is
// read-only, 401 when the request lacks the right bearer token.
func (s *Server) authorize(r *http.Request) (int, string) {
	if s.ReadOnly() {
		return http.StatusForbidden, "this dashboard is read-only: it was started without a token"
	}
	given, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return http.StatusUnauthorized, "this action needs the dashboard's token (printed when the dashboard started)"
	}
	if !tokenEqual(given, s.opts.Token) {
		return http.StatusUnauthorized, "the token given is not this dashboard's token"
	}
	return http.StatusOK, ""
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// tokenEqual compares in constant time; hashing first hides the length.
func tokenEqual(given, want string) bool {
	g, w := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
