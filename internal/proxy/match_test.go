package proxy

import (
	"net/http"
	"strings"
	"testing"
)

func TestCompileRulesErrors(t *testing.T) {
	tests := map[string]struct {
		rules []MatchRule
		want  string
	}{
		"empty rule": {
			rules: []MatchRule{{}},
			want:  "match[0]: rule has no header or cookie condition",
		},
		"no matcher set": {
			rules: []MatchRule{{Headers: map[string]StringMatch{"x-user": {}}}},
			want:  "headers[x-user]: exactly one of exact, prefix, regex must be set, got 0",
		},
		"two matchers set": {
			rules: []MatchRule{{Cookies: map[string]StringMatch{"beta": {Exact: "1", Prefix: "1"}}}},
			want:  "cookies[beta]: exactly one of exact, prefix, regex must be set, got 2",
		},
		"bad regex": {
			rules: []MatchRule{{Headers: map[string]StringMatch{"x-user": {Regex: "("}}}},
			want:  `headers[x-user]: regex "("`,
		},
		"bad header name": {
			rules: []MatchRule{{Headers: map[string]StringMatch{"x user": {Exact: "a"}}}},
			want:  `headers: invalid header name "x user"`,
		},
		"bad cookie name": {
			rules: []MatchRule{{Cookies: map[string]StringMatch{"a=b": {Exact: "a"}}}},
			want:  `cookies: invalid cookie name "a=b"`,
		},
		"second rule reported by index": {
			rules: []MatchRule{
				{Headers: map[string]StringMatch{"x-a": {Exact: "1"}}},
				{Headers: map[string]StringMatch{"x-b": {Regex: "[z-a]"}}},
			},
			want: "match[1]: headers[x-b]",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileRules(tc.rules)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("compileRules error = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestRuleMatches(t *testing.T) {
	type req struct {
		host    string
		headers map[string][]string
	}
	tests := map[string]struct {
		rule MatchRule
		req  req
		want bool
	}{
		"header exact": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-canary": {Exact: "always"}}},
			req:  req{headers: map[string][]string{"X-Canary": {"always"}}},
			want: true,
		},
		"header name case-insensitive": {
			rule: MatchRule{Headers: map[string]StringMatch{"X-CANARY": {Exact: "always"}}},
			req:  req{headers: map[string][]string{"X-Canary": {"always"}}},
			want: true,
		},
		"header exact differs": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-canary": {Exact: "always"}}},
			req:  req{headers: map[string][]string{"X-Canary": {"Always"}}},
		},
		"header absent": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-canary": {Regex: ".*"}}},
			req:  req{headers: map[string][]string{"X-Other": {"x"}}},
		},
		"header any value matches": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-group": {Exact: "beta"}}},
			req:  req{headers: map[string][]string{"X-Group": {"alpha", "beta"}}},
			want: true,
		},
		"header prefix": {
			rule: MatchRule{Headers: map[string]StringMatch{"user-agent": {Prefix: "Mozilla/5.0 (iPhone"}}},
			req:  req{headers: map[string][]string{"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"}}},
			want: true,
		},
		"header regex whole value": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-version": {Regex: "v2"}}},
			req:  req{headers: map[string][]string{"X-Version": {"v20"}}},
		},
		"header regex matches": {
			rule: MatchRule{Headers: map[string]StringMatch{"x-user-id": {Regex: `[0-9]*[05]`}}},
			req:  req{headers: map[string][]string{"X-User-Id": {"1235"}}},
			want: true,
		},
		"host header": {
			rule: MatchRule{Headers: map[string]StringMatch{"host": {Prefix: "beta."}}},
			req:  req{host: "beta.example.com"},
			want: true,
		},
		"cookie exact": {
			rule: MatchRule{Cookies: map[string]StringMatch{"canary": {Exact: "yes"}}},
			req:  req{headers: map[string][]string{"Cookie": {"session=abc; canary=yes; theme=dark"}}},
			want: true,
		},
		"cookie quoted": {
			rule: MatchRule{Cookies: map[string]StringMatch{"canary": {Exact: "yes"}}},
			req:  req{headers: map[string][]string{"Cookie": {`canary="yes"`}}},
			want: true,
		},
		"cookie on second line": {
			rule: MatchRule{Cookies: map[string]StringMatch{"canary": {Prefix: "y"}}},
			req:  req{headers: map[string][]string{"Cookie": {"a=1", "canary=yes"}}},
			want: true,
		},
		"cookie name is not a prefix match": {
			rule: MatchRule{Cookies: map[string]StringMatch{"canary": {Exact: "yes"}}},
			req:  req{headers: map[string][]string{"Cookie": {"canary2=yes; xcanary=yes"}}},
		},
		"cookie regex": {
			rule: MatchRule{Cookies: map[string]StringMatch{"group": {Regex: "beta|internal"}}},
			req:  req{headers: map[string][]string{"Cookie": {"group=internal"}}},
			want: true,
		},
		"all conditions must hold": {
			rule: MatchRule{
				Headers: map[string]StringMatch{"x-canary": {Exact: "1"}},
				Cookies: map[string]StringMatch{"beta": {Exact: "1"}},
			},
			req: req{headers: map[string][]string{"X-Canary": {"1"}, "Cookie": {"beta=0"}}},
		},
		"all conditions hold": {
			rule: MatchRule{
				Headers: map[string]StringMatch{"x-canary": {Exact: "1"}},
				Cookies: map[string]StringMatch{"beta": {Exact: "1"}},
			},
			req:  req{headers: map[string][]string{"X-Canary": {"1"}, "Cookie": {"beta=1"}}},
			want: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rules, err := compileRules([]MatchRule{tc.rule})
			if err != nil {
				t.Fatalf("compileRules: %v", err)
			}
			r := &http.Request{Host: tc.req.host, Header: http.Header(tc.req.headers)}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			if got := rules[0].matches((*stdRequest)(r)); got != tc.want {
				t.Errorf("matches = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCookieMatchesAgreesWithNetHTTP checks the allocation-free scanner
// against net/http's own parsing on well-formed Cookie headers.
func TestCookieMatchesAgreesWithNetHTTP(t *testing.T) {
	lines := []string{
		"a=1; b=2; c=3",
		`a="quoted"; b=2`,
		"a=1;b=2;;c=",
		" a = 1 ; b=x",
		"a=1; a=2",
		"b=2",
	}
	for _, line := range lines {
		r := &http.Request{Header: http.Header{"Cookie": {line}}}
		for _, name := range []string{"a", "b", "c"} {
			want := map[string]bool{}
			for _, ck := range r.Cookies() {
				if ck.Name == name {
					want[ck.Value] = true
				}
			}
			for value := range want {
				c := condition{name: name, m: matcher{kind: matchExact, value: value}}
				if value != "" && !cookieMatches((*stdRequest)(r), &c) {
					t.Errorf("Cookie %q: net/http sees %s=%q, scanner does not", line, name, value)
				}
			}
		}
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	rules, err := compileRules([]MatchRule{
		{Headers: map[string]StringMatch{"x-user": {Regex: "u[0-9]+"}}},
		{Cookies: map[string]StringMatch{"canary": {Exact: "yes"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{Header: http.Header{"X-User": {"anonymous"}, "Cookie": {"session=1; canary=no; x=y"}}}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range rules {
			rules[i].matches((*stdRequest)(r))
		}
	})
	if allocs != 0 {
		t.Errorf("matching allocates %.1f times per request, want 0", allocs)
	}
}

func matchRulesForBench() []MatchRule {
	return []MatchRule{
		{Headers: map[string]StringMatch{"x-canary": {Exact: "always"}}},
		{Cookies: map[string]StringMatch{"canary": {Regex: "yes|true"}}},
	}
}
