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
	// MaxNetworkDuration bounds a run that may leave the machine (the
	// in-cluster load tester): a Flagger load test may take up to the hour
	// Flagger's own load tester allows a command.
	MaxNetworkDuration = time.Hour

	DefaultConcurrency   = 64
	DefaultTimeout       = 10 * time.Second
	DefaultVersionHeader = "X-Sluice-Version"
)

// Reach says which hosts a run may send requests to.
type Reach int

const (
	// ReachLoopback allows loopback hosts only: the demo, `sluice load`.
	ReachLoopback Reach = iota
	// ReachNetwork allows any host but link-local and instance-metadata
	// addresses, where clouds serve credentials: the in-cluster load
	// tester, which sends load to Services by name. Checked at dial time,
	// after DNS and redirects.
	ReachNetwork
)

// Config describes one load run.
type Config struct {
	// Target is the URL every request goes to. With ReachLoopback its
	// host must be loopback: 127.0.0.0/8, ::1 or "localhost".
	Target string
	// Reach is which hosts requests may go to. Default ReachLoopback.
	Reach Reach
	// Rate is requests per second, above 0 and at most MaxRate; 0 with
	// Workers set sends as fast as the workers get answers.
	Rate float64
	// Workers, when set, runs the load closed-loop: that many workers each
	// send their next request as soon as the last one is answered (hey
	// without -q). Rate must then be 0; Concurrency is Workers.
	Workers int
	// Requests, when above 0, ends the run once that many requests have
	// been sent (hey -n).
	Requests int64
	// Duration bounds the run; required, at most MaxDuration (or
	// MaxNetworkDuration with ReachNetwork).
	Duration time.Duration
	// Concurrency bounds requests in flight; a request due while that many
	// are outstanding is skipped, not queued. Default DefaultConcurrency.
	Concurrency int
	// Method is the HTTP method. Default GET.
	Method string
	// Headers are added to every request (for header-matched routing).
	Headers http.Header
	// Body is sent with every request.
	Body []byte
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
	maxDuration := MaxDuration
	switch c.Reach {
	case ReachLoopback:
		if err := CheckLoopback(c.Target); err != nil {
			errs = append(errs, err)
		}
	case ReachNetwork:
		maxDuration = MaxNetworkDuration
		if err := checkHTTP(c.Target); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("reach %d is not ReachLoopback or ReachNetwork", c.Reach))
	}
	switch {
	case c.Workers < 0 || c.Workers > MaxConcurrency:
		errs = append(errs, fmt.Errorf("workers %d is not in [1, %d]", c.Workers, MaxConcurrency))
	case c.Workers > 0 && c.Rate != 0:
		errs = append(errs, fmt.Errorf("rate %v req/s with %d workers: give a rate or workers, not both", c.Rate, c.Workers))
	case c.Workers == 0 && !(c.Rate > 0 && c.Rate <= MaxRate):
		errs = append(errs, fmt.Errorf("rate %v req/s is not in (0, %v]", c.Rate, MaxRate))
	}
	if c.Requests < 0 {
		errs = append(errs, fmt.Errorf("requests %d is negative", c.Requests))
	}
	if c.Duration <= 0 || c.Duration > maxDuration {
		errs = append(errs, fmt.Errorf("duration %v is not in (0, %v]", c.Duration, maxDuration))
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
	switch {
	case c.Workers > 0:
		c.Concurrency = c.Workers
	case c.Concurrency == 0:
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
	if c.Reach == ReachNetwork {
		c.Client = networkClient(c.Client)
	} else {
		c.Client = loopbackClient(c.Client)
	}
	return c, nil
}

// checkHTTP returns an error unless target is an absolute http(s) URL.
func checkHTTP(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want an absolute http or https URL", target)
	}
	return nil
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
