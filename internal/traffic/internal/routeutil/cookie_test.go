package routeutil

import (
	"regexp"
	"testing"

	"sluice.dev/sluice/api/v1alpha1"
)

// TestCookieRegex runs the generated expressions with Go's RE2, the
// dialect Envoy uses, on Cookie headers as browsers send them.
func TestCookieRegex(t *testing.T) {
	type header struct {
		value string
		want  bool
	}
	for name, tc := range map[string]struct {
		cookies map[string]v1alpha1.StringMatch
		headers []header
	}{
		"exact": {
			cookies: map[string]v1alpha1.StringMatch{"beta": {Exact: "1"}},
			headers: []header{
				{"beta=1", true}, {"a=b; beta=1", true}, {"beta=1; a=b", true}, {"a=b;beta=1;c=d", true},
				{"beta=12", false}, {"xbeta=1", false}, {"a=beta=1", false}, {"beta=0", false}, {"", false}, {"a=b", false},
			},
		},
		"prefix": {
			cookies: map[string]v1alpha1.StringMatch{"user": {Prefix: "team-"}},
			headers: []header{{"user=team-a", true}, {"x=1; user=team-; y=2", true}, {"user=teams", false}, {"user=a; x=team-b", false}},
		},
		"regex with anchors and alternation": {
			cookies: map[string]v1alpha1.StringMatch{"v": {Regex: "^(a|b)$"}},
			headers: []header{{"v=a", true}, {"q=1; v=b", true}, {"v=c", false}, {"v=ab", false}},
		},
		"metacharacters are literal": {
			cookies: map[string]v1alpha1.StringMatch{"k.y": {Exact: "a+b"}},
			headers: []header{{"k.y=a+b", true}, {"kxy=a+b", false}, {"k.y=aab", false}},
		},
		"two cookies in any order": {
			cookies: map[string]v1alpha1.StringMatch{"a": {Exact: "1"}, "b": {Exact: "2"}},
			headers: []header{{"a=1; b=2", true}, {"b=2; x=y; a=1", true}, {"a=1", false}, {"b=2; a=2", false}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			expr, err := CookieRegex(tc.cookies)
			if err != nil {
				t.Fatal(err)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				t.Fatalf("%s does not compile: %v", expr, err)
			}
			for _, h := range tc.headers {
				if got := re.MatchString(h.value); got != h.want {
					t.Errorf("%s on Cookie %q = %v, want %v", expr, h.value, got, h.want)
				}
			}
		})
	}
}
