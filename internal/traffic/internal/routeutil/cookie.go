package routeutil

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"sluice.dev/sluice/api/v1alpha1"
)

// MaxCookies bounds the cookies one match rule may test. A mesh matches a
// header once, so all of a rule's cookies go into one regular expression
// on the Cookie header, which must accept them in any order: one
// alternative per order, n! of them.
const MaxCookies = 3

// CookieRegex builds an RE2 expression that accepts a Cookie header
// carrying every cookie of the rule with a matching value, wherever each
// sits in the header. The name is anchored to the start of the header or a
// "; " separator so that cookie "id" does not match "xid=1", and the value
// ends at ";" or the end so that exact "1" does not match "12".
func CookieRegex(cookies map[string]v1alpha1.StringMatch) (string, error) {
	names := make([]string, 0, len(cookies))
	for n := range cookies {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) > MaxCookies {
		return "", fmt.Errorf("%d cookies in one rule; at most %d can be matched together (split the rule)", len(names), MaxCookies)
	}
	pairs := make([]string, len(names))
	for i, n := range names {
		pairs[i] = regexp.QuoteMeta(n) + "=" + valuePattern(cookies[n])
	}
	var alts []string
	permute(pairs, 0, func(p []string) {
		alts = append(alts, strings.Join(p, `;\s*(?:.*;\s*)?`))
	})
	return `^(?:.*;\s*)?(?:` + strings.Join(alts, "|") + `)(?:;.*)?$`, nil
}

// valuePattern matches one cookie value, which runs up to the next ";".
func valuePattern(m v1alpha1.StringMatch) string {
	switch {
	case m.Exact != "":
		return regexp.QuoteMeta(m.Exact)
	case m.Prefix != "":
		return regexp.QuoteMeta(m.Prefix) + `[^;]*`
	}
	// The expression is meant for the whole value; anchors would now
	// anchor to the whole header, so they are dropped.
	r := strings.TrimPrefix(m.Regex, "^")
	if strings.HasSuffix(r, "$") && !strings.HasSuffix(r, `\$`) {
		r = strings.TrimSuffix(r, "$")
	}
	return "(?:" + r + ")"
}

// permute calls fn with every order of p[k:] after p[:k]; p is reused.
func permute(p []string, k int, fn func([]string)) {
	if k == len(p) {
		fn(p)
		return
	}
	for i := k; i < len(p); i++ {
		p[k], p[i] = p[i], p[k]
		permute(p, k+1, fn)
		p[k], p[i] = p[i], p[k]
	}
}
