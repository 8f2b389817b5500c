package proxy

import (
	"strings"
	"testing"
)

func TestSetRouteValidation(t *testing.T) {
	rule := []MatchRule{{Headers: map[string]StringMatch{"x-canary": {Exact: "1"}}}}
	tests := map[string]struct {
		route Route
		want  string // empty: valid
	}{
		"valid": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), Canary: mustURL(t, "http://127.0.0.1:2"), CanaryWeight: 30, Match: rule},
		},
		"no canary at weight zero": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1")},
		},
		"no stable": {
			route: Route{Canary: mustURL(t, "http://127.0.0.1:2")},
			want:  "stable: URL is required",
		},
		"bad scheme": {
			route: Route{Stable: mustURL(t, "ftp://127.0.0.1:1")},
			want:  "scheme must be http or https",
		},
		"no host": {
			route: Route{Stable: mustURL(t, "http:///just/a/path")},
			want:  "host is required",
		},
		"weight over 100": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), Canary: mustURL(t, "http://127.0.0.1:2"), CanaryWeight: 101},
			want:  "canaryWeight 101 is outside 0..100",
		},
		"negative weight": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), Canary: mustURL(t, "http://127.0.0.1:2"), CanaryWeight: -1},
			want:  "outside 0..100",
		},
		"weight without canary": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), CanaryWeight: 10},
			want:  "canary: no URL",
		},
		"match without canary": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), Match: rule},
			want:  "canary: no URL",
		},
		"bad rule": {
			route: Route{Stable: mustURL(t, "http://127.0.0.1:1"), Canary: mustURL(t, "http://127.0.0.1:2"), Match: []MatchRule{{}}},
			want:  "match[0]",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := New(Options{Logger: quietLogger()})
			err := p.SetRoute(tc.route)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("SetRoute: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("SetRoute error = %v, want containing %q", err, tc.want)
			case tc.want != "" && p.Route().Stable != nil:
				t.Fatalf("a rejected route was installed: %+v", p.Route())
			}
		})
	}
}

func TestRouteIsACopy(t *testing.T) {
	p := New(Options{Logger: quietLogger()})
	if got := p.Route(); got.Stable != nil || got.CanaryWeight != 0 {
		t.Fatalf("Route before SetRoute = %+v, want zero", got)
	}
	in := Route{
		Stable:       mustURL(t, "http://127.0.0.1:1"),
		Canary:       mustURL(t, "http://127.0.0.1:2"),
		CanaryWeight: 40,
		Match:        []MatchRule{{Headers: map[string]StringMatch{"x-canary": {Exact: "1"}}}},
	}
	if err := p.SetRoute(in); err != nil {
		t.Fatal(err)
	}
	in.Stable.Host = "changed:1"
	in.Match[0].Headers["x-canary"] = StringMatch{Exact: "2"}
	got := p.Route()
	if got.Stable.Host != "127.0.0.1:1" || got.CanaryWeight != 40 || got.Match[0].Headers["x-canary"].Exact != "1" {
		t.Errorf("Route() = %+v changed with the caller's value", got)
	}
}
