package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const wrkSample = `Running 10s test @ http://127.0.0.1:18090/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  456.00us  12.34ms   78.90%
    Req/Sec    25.00k     1.23k   28.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.40ms
     90%    1.80ms
     99%    3.00ms
  497512 requests in 10.00s, 580.00MB read
Requests/sec:  49712.34
Transfer/sec:     57.98MB
`

func TestParseWrk(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    wrkResult
		wantErr string
	}{
		"plain": {in: wrkSample, want: wrkResult{RPS: 49712.34, Requests: 497512, P50: 850, P99: 3000}},
		"seconds": {
			in:   strings.Replace(wrkSample, "99%    3.00ms", "99%    1.50s", 1),
			want: wrkResult{RPS: 49712.34, Requests: 497512, P50: 850, P99: 1.5e6},
		},
		"socket errors fail": {
			in:      strings.Replace(wrkSample, "Requests/sec", "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec", 1),
			wantErr: "failed requests",
		},
		"zero socket errors pass": {
			in:   strings.Replace(wrkSample, "Requests/sec", "  Socket errors: connect 0, read 0, write 0, timeout 0\nRequests/sec", 1),
			want: wrkResult{RPS: 49712.34, Requests: 497512, P50: 850, P99: 3000},
		},
		"non-2xx fail": {
			in:      strings.Replace(wrkSample, "Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec", 1),
			wantErr: "failed requests",
		},
		"no latency": {in: strings.Replace(wrkSample, "     99%    3.00ms\n", "", 1), wantErr: "latency"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseWrk(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestRunRatios writes one round of fake raw results and checks the ratios
// in the final JSON line. Sluice's open-loop window differs from the one
// the direct and nginx rows show: its added p99 must be taken against the
// direct and nginx results of its own window.
func TestRunRatios(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	open := func(p99s ...float64) string {
		var b strings.Builder
		for _, p99 := range p99s {
			o, _ := json.Marshal(map[string]any{"total": 11000, "p50_us": 100, "p90_us": 200, "p99_us": p99})
			b.Write(o)
			b.WriteByte('\n')
		}
		return b.String()
	}
	targets := map[string]struct {
		rps      string
		window   []float64 // p99 of direct, nginx and the target, in its window
		cpuTicks string
	}{
		"direct": {rps: "40000.0", window: []float64{500, 600, 500}, cpuTicks: "-"},
		"nginx":  {rps: "20000.0", window: []float64{500, 600, 600}, cpuTicks: "100 20"},
		"sluice": {rps: "25000.0", window: []float64{550, 700, 650}, cpuTicks: "150 10"},
	}
	for name, tc := range targets {
		write(name+".1.wrk", strings.Replace(wrkSample, "49712.34", tc.rps, 1))
		write(name+".1.open.json", open(tc.window...))
		write(name+".1.cpu", tc.cpuTicks+"\n")
	}
	var out bytes.Buffer
	if err := run([]string{"-dir", dir, "-targets", "direct,nginx,sluice"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	// Added p99 in Sluice's window: 650-550 = 100 µs against nginx's
	// 700-550 = 150 µs.
	want := map[string]float64{"throughput": 1.25, "p99_added": 0.667, "cpu_per_request": 0.5}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (output:\n%s)", k, got[k], v, out.String())
		}
	}
}

// TestOpenWindowMustHaveThreeLines: a window file without the direct and
// nginx results of its window is refused, not read as something else.
func TestOpenWindowMustHaveThreeLines(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ name, content string }{
		{"sluice.1.wrk", wrkSample},
		{"sluice.1.open.json", `{"total": 11000, "p50_us": 100, "p90_us": 200, "p99_us": 650}`},
		{"sluice.1.cpu", "150 10\n"},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := readRound(dir, "sluice", 1, 100); err == nil || !strings.Contains(err.Error(), "want 3") {
		t.Errorf("readRound = %v, want an error about the 3 lines", err)
	}
}
