package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Bounds on a load run. They keep a typo from turning the demo into a
// stress test of the laptop it runs on.
const (
	MaxRate        = 10000.0
	MaxDuration    = 10 * time.Minute
	MaxConcurrency = 1024

	DefaultConcurrency   = 64
	DefaultTimeout       = 10 * time.Second
	DefaultVersionHeader = "X-Sluice-Version"
)

// Config describes one load run.
type Config struct {
	// Target is the URL every request goes to. Its host must be loopback:
	// 127.0.0.0/8, ::1 or "localhost".
	Target string
	// Rate is requests per second, above 0 and at most MaxRate.
	Rate float64
	// Duration bounds the run; required, at most MaxDuration.
	Duration time.Duration
	// Concurrency bounds requests in flight; a request due while that many
	// are outstanding is skipped, not queued. Default DefaultConcurrency.
	Concurrency int
	// Method is the HTTP method. Default GET.
	Method string
	// Headers are added to every request (for header-matched routing).
	Headers http.Header
	// Client sends the requests. Default: a client that only dials
	// loopback. Either way every request is checked, redirects included.
	Client *http.Client
	// Timeout bounds one request. Default DefaultTimeout.
	Timeout time.Duration
	// VersionHeader is the response header whose value the stats are
	// broken down by. Default DefaultVersionHeader.
	VersionHeader string
}

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if err := CheckLoopback(c.Target); err != nil {
		errs = append(errs, err)
	}
	if !(c.Rate > 0 && c.Rate <= MaxRate) {
		errs = append(errs, fmt.Errorf("rate %v req/s is not in (0, %v]", c.Rate, MaxRate))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %v is not in (0, %v]", c.Duration, MaxDuration))
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d is not in [1, %d]", c.Concurrency, MaxConcurrency))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", c.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("loadgen: %w", err)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.VersionHeader == "" {
		c.VersionHeader = DefaultVersionHeader
	}
	c.Headers = c.Headers.Clone()
	c.Client = loopbackClient(c.Client)
	return c, nil
}

// CheckLoopback returns an error unless target is an http(s) URL whose host
// is a loopback IP or "localhost". The error says why, so a user who
// pointed the demo at a real server learns it was refused on purpose.
func CheckLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: want an http or https URL", target)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("target %q: refusing to send load to %q: only loopback hosts (127.0.0.0/8, ::1, localhost) are allowed", target, u.Hostname())
	}
	return nil
}

// isLoopbackHost accepts loopback IP literals and the name localhost.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
