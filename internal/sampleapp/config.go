package sampleapp

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Limits that keep a mistyped flag from turning the sample app into
// something that looks hung.
const (
	maxLatency = time.Minute
	maxJitter  = time.Minute
)

// Config describes how the sample app behaves, so a demo can make one
// version measurably worse than the other.
type Config struct {
	// Version is the label the app reports in every answer, such as "v2".
	Version string
	// ErrorRate is the share of requests to / answered with 500, from 0 to 1.
	ErrorRate float64
	// Latency is added to every request to /.
	Latency time.Duration
	// Jitter adds a uniform random delay in [0, Jitter) on top of Latency.
	Jitter time.Duration
}

// Validate reports settings the handler cannot honour.
func (c Config) Validate() error {
	var errs []error
	if c.ErrorRate < 0 || c.ErrorRate > 1 || c.ErrorRate != c.ErrorRate {
		errs = append(errs, fmt.Errorf("error rate %v is not between 0 and 1", c.ErrorRate))
	}
	if c.Latency < 0 || c.Latency > maxLatency {
		errs = append(errs, fmt.Errorf("latency %v is not between 0 and %v", c.Latency, maxLatency))
	}
	if c.Jitter < 0 || c.Jitter > maxJitter {
		errs = append(errs, fmt.Errorf("jitter %v is not between 0 and %v", c.Jitter, maxJitter))
	}
	return errors.Join(errs...)
}

// Settings is everything Run needs: how the app behaves and where it listens.
type Settings struct {
	Config
	// Listen is the host:port to serve on.
	Listen string
}

// Environment variables read as defaults for the flags, so the local
// workload driver (which sets PORT) and container images can configure the
// app without arguments.
const (
	EnvVersion   = "VERSION"
	EnvErrorRate = "ERROR_RATE"
	EnvLatency   = "LATENCY"
	EnvJitter    = "JITTER"
	EnvPort      = "PORT"
)

// defaultVersion is used when neither --version nor $VERSION is given.
const defaultVersion = "v1"

// ParseFlags reads the app's flags, taking defaults from the environment
// through getenv (os.Getenv in production, a map in tests). Flags win over
// the environment. Usage text and flag errors are written to out. It returns
// flag.ErrHelp when help was asked for.
func ParseFlags(args []string, getenv func(string) string, out io.Writer) (Settings, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	def, err := envDefaults(getenv)
	if err != nil {
		return Settings{}, err
	}
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(out)
	s := Settings{}
	fs.StringVar(&s.Version, "version", def.Version, "version label reported in answers ($"+EnvVersion+")")
	fs.Float64Var(&s.ErrorRate, "error-rate", def.ErrorRate, "share of requests answered 500, 0..1 ($"+EnvErrorRate+")")
	fs.DurationVar(&s.Latency, "latency", def.Latency, "latency added to every request ($"+EnvLatency+")")
	fs.DurationVar(&s.Jitter, "jitter", def.Jitter, "uniform random latency added on top, [0, jitter) ($"+EnvJitter+")")
	fs.StringVar(&s.Listen, "listen", def.Listen, "host:port to listen on (default 127.0.0.1:$"+EnvPort+", else 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return Settings{}, fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		return Settings{}, fmt.Errorf("listen address %q: %w", s.Listen, err)
	}
	return s, nil
}

// envDefaults turns the environment into flag defaults.
func envDefaults(getenv func(string) string) (Settings, error) {
	s := Settings{Config: Config{Version: defaultVersion}, Listen: "127.0.0.1:8080"}
	if v := getenv(EnvVersion); v != "" {
		s.Version = v
	}
	if v := getenv(EnvErrorRate); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return s, fmt.Errorf("$%s=%q: %w", EnvErrorRate, v, err)
		}
		s.ErrorRate = f
	}
	for name, dst := range map[string]*time.Duration{EnvLatency: &s.Latency, EnvJitter: &s.Jitter} {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return s, fmt.Errorf("$%s=%q: %w", name, v, err)
			}
			*dst = d
		}
	}
	if v := getenv(EnvPort); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return s, fmt.Errorf("$%s=%q is not a port number", EnvPort, v)
		}
		s.Listen = net.JoinHostPort("127.0.0.1", v)
	}
	return s, nil
}
