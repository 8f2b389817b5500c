package envtest

import (
	"strings"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	tests := map[string]struct {
		target string
		want   string // substring of the error; "" means accepted
	}{
		"ipv4 loopback":  {target: "127.0.0.1:9100"},
		"localhost":      {target: "localhost:9100"},
		"ipv6 loopback":  {target: "[::1]:9100"},
		"no port":        {target: "127.0.0.1", want: "want host:port"},
		"port zero":      {target: "127.0.0.1:0", want: "no port"},
		"remote host":    {target: "10.0.0.1:9100", want: "loopback"},
		"dns name":       {target: "example.com:80", want: "loopback"},
		"url not target": {target: "http://127.0.0.1:9100/metrics", want: "want host:port"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkTarget(tc.target)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkTarget(%q) = %v, want accepted", tc.target, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkTarget(%q) = %v, want an error containing %q", tc.target, err, tc.want)
			}
		})
	}
}

func TestScrapeConfig(t *testing.T) {
	got := scrapeConfig([]string{"127.0.0.1:1", "127.0.0.1:2"})
	want := `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sluice-e2e
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:1", "127.0.0.1:2"]
`
	if got != want {
		t.Fatalf("scrapeConfig =\n%s\nwant\n%s", got, want)
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 5}
	for _, s := range []string{"abc", "def", "gh"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := b.String(), "defgh"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}
