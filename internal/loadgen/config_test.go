package loadgen

import (
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	tests := map[string]struct {
		target string
		want   string // "" means allowed; else part of the error
	}{
		"ipv4 loopback":          {target: "http://127.0.0.1:8080/"},
		"other 127/8 address":    {target: "http://127.1.2.3:80/x"},
		"ipv6 loopback":          {target: "http://[::1]:8080"},
		"localhost":              {target: "https://localhost:8443/api"},
		"localhost any case":     {target: "http://LocalHost:1"},
		"private address":        {target: "http://10.0.0.1/", want: "only loopback"},
		"public name":            {target: "http://example.com/", want: "only loopback"},
		"name that looks local":  {target: "http://127.0.0.1.nip.io/", want: "only loopback"},
		"localhost subdomain":    {target: "http://localhost.example.com/", want: "only loopback"},
		"unspecified address":    {target: "http://0.0.0.0:8080/", want: "only loopback"},
		"userinfo trick":         {target: "http://127.0.0.1@10.0.0.1/", want: "only loopback"},
		"not http":               {target: "ftp://127.0.0.1/", want: "http or https"},
		"no scheme":              {target: "127.0.0.1:8080", want: "target"},
		"empty":                  {target: "", want: "http or https"},
		"ipv4-mapped ipv6 local": {target: "http://[::ffff:127.0.0.1]:80/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckLoopback(tc.target)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckLoopback(%q) = %v, want allowed", tc.target, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckLoopback(%q) = %v, want an error mentioning %q", tc.target, err, tc.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	ok := Config{Target: "http://127.0.0.1:1/", Rate: 10, Duration: time.Second}
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"valid":                {cfg: ok},
		"non-loopback target":  {cfg: with(func(c *Config) { c.Target = "http://192.0.2.1/" }), want: "only loopback"},
		"zero rate":            {cfg: with(func(c *Config) { c.Rate = 0 }), want: "rate"},
		"rate too high":        {cfg: with(func(c *Config) { c.Rate = MaxRate * 2 }), want: "rate"},
		"no duration":          {cfg: with(func(c *Config) { c.Duration = 0 }), want: "duration"},
		"duration too long":    {cfg: with(func(c *Config) { c.Duration = MaxDuration + time.Second }), want: "duration"},
		"negative concurrency": {cfg: with(func(c *Config) { c.Concurrency = -1 }), want: "concurrency"},
		"concurrency too high": {cfg: with(func(c *Config) { c.Concurrency = MaxConcurrency + 1 }), want: "concurrency"},
		"negative timeout":     {cfg: with(func(c *Config) { c.Timeout = -time.Second }), want: "timeout"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g, err := New(tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New() = %v, want success", err)
			case tc.want == "" && (g.cfg.Concurrency != DefaultConcurrency || g.cfg.Method != "GET" || g.cfg.VersionHeader != DefaultVersionHeader):
				t.Errorf("defaults not filled in: %+v", g.cfg)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("New() = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
