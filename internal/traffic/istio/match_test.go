package istio

import "testing"

func TestMatchRouteNames(t *testing.T) {
	for name, want := range map[string]bool{
		"sluice-canary-match": true, "sluice-canary-match-2": true, "sluice-canary-match-12": true,
		"sluice-canary-match-": false, "sluice-canary-match-x": false, "sluice-canary-matches": false, "primary": false,
	} {
		if got := isMatchRouteName(name); got != want {
			t.Errorf("isMatchRouteName(%q) = %v, want %v", name, got, want)
		}
	}
	if got := matchRouteName(0); got != MatchRouteName {
		t.Errorf("matchRouteName(0) = %q", got)
	}
	if got := matchRouteName(2); got != "sluice-canary-match-3" || !isMatchRouteName(got) {
		t.Errorf("matchRouteName(2) = %q", got)
	}
}
