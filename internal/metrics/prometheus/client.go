package prometheus

import (
	"fmt"
	"net/http"
	"net/url"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// NewClient is a query client for the Prometheus at address (a Release's
// spec.analysis.prometheus.address or the controller's flag). rt carries
// the requests, for TLS or authentication; nil uses the library's default
// transport.
func NewClient(address string, rt http.RoundTripper) (promv1.API, error) {
	u, err := url.Parse(address)
	if err != nil {
		return nil, fmt.Errorf("prometheus address %q: %w", address, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus address %q: want http(s)://host[:port][/path]", address)
	}
	if rt == nil {
		rt = promapi.DefaultRoundTripper
	}
	c, err := promapi.NewClient(promapi.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", address, err)
	}
	return promv1.NewAPI(c), nil
}
