package proxy

import (
	"net/http"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// FuzzMatch feeds arbitrary rules and request headers through compile and
// match. Compiling may reject a rule; nothing may panic, and an exact rule
// that compiled must match a request carrying exactly that value.
func FuzzMatch(f *testing.F) {
	f.Add("x-canary", "always", uint8(0), "always", "canary", "yes", uint8(0), "canary=yes")
	f.Add("X-User", "u[0-9]+", uint8(2), "u42", "group", "be", uint8(1), `group="beta"; a=b`)
	f.Add("host", "(", uint8(2), "", "a", "", uint8(0), ";;=;")
	f.Add("", "", uint8(1), "\x00", "=", "\"", uint8(2), "\"=\"")
	f.Fuzz(func(t *testing.T, hName, hPattern string, hKind uint8, hValue, cName, cPattern string, cKind uint8, cookie string) {
		rule := v1alpha1.MatchRule{
			Headers: map[string]v1alpha1.StringMatch{hName: stringMatch(hKind, hPattern)},
			Cookies: map[string]v1alpha1.StringMatch{cName: stringMatch(cKind, cPattern)},
		}
		rules, err := compileRules([]v1alpha1.MatchRule{rule})
		if err != nil {
			return
		}
		r := &http.Request{
			Host:   hValue,
			Header: http.Header{http.CanonicalHeaderKey(hName): {hValue}, "Cookie": {cookie}},
		}
		_ = rules[0].matches(r)

		// An exact header rule alone must match its own value.
		if hKind%3 == 0 {
			only, err := compileRules([]v1alpha1.MatchRule{{Headers: rule.Headers}})
			if err != nil {
				t.Fatalf("header half of a valid rule rejected: %v", err)
			}
			r.Header[http.CanonicalHeaderKey(hName)] = []string{hPattern}
			r.Host = hPattern
			if !only[0].matches(r) {
				t.Fatalf("exact rule %q=%q does not match its own value", hName, hPattern)
			}
		}
	})
}

func stringMatch(kind uint8, pattern string) v1alpha1.StringMatch {
	switch kind % 3 {
	case 0:
		return v1alpha1.StringMatch{Exact: pattern}
	case 1:
		return v1alpha1.StringMatch{Prefix: pattern}
	}
	return v1alpha1.StringMatch{Regex: pattern}
}
