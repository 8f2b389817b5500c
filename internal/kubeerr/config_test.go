package kubeerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestConfigError(t *testing.T) {
	err := fmt.Errorf("setting weight: %w", Config("spec.traffic.istio.routes[1]", "VirtualService shop/api", "route %q not found", "primary"))
	ce, ok := AsConfig(err)
	if !ok {
		t.Fatalf("AsConfig(%v) found no ConfigError", err)
	}
	want := ConfigError{Field: "spec.traffic.istio.routes[1]", Object: "VirtualService shop/api", Message: `route "primary" not found`}
	if *ce != want {
		t.Errorf("got %+v, want %+v", *ce, want)
	}
	if got := ce.Error(); got != `spec.traffic.istio.routes[1]: route "primary" not found` {
		t.Errorf("Error() = %q", got)
	}
	if _, ok := AsConfig(errors.New("connection refused")); ok {
		t.Error("AsConfig found a ConfigError in a plain error")
	}
}
