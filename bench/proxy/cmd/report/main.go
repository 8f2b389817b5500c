// Command report turns the raw output of bench/proxy/run.sh (wrk text,
// openloop JSON, CPU ticks read from /proc) into the ratio table: every
// figure of every proxy divided by nginx's figure from the same run. Its
// last line of output is one JSON object with Sluice's ratios to nginx.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory holding TARGET.ROUND.{wrk,open.json,cpu}")
	targets := fs.String("targets", "direct,nginx,haproxy,sluice", "targets in table order; must include direct, nginx and sluice")
	rounds := fs.Int("rounds", 1, "rounds measured per target")
	clk := fs.Float64("clk-tck", 100, "clock ticks per second of /proc/PID/stat")
	closedLoad := fs.String("closed", "wrk -t2 -c64 -d10s --latency", "the closed-loop command, for the table's title")
	rate := fs.Int("rate", 1000, "the open-loop rate, for the table's title")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	names := strings.Split(*targets, ",")
	for _, must := range []string{"direct", "nginx", "sluice"} {
		if !slices.Contains(names, must) {
			return fmt.Errorf("-targets must include %s", must)
		}
	}
	ms := make(map[string]measure, len(names))
	for _, name := range names {
		rs := make([]measure, 0, *rounds)
		for r := 1; r <= *rounds; r++ {
			m, err := readRound(*dir, name, r, *clk)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", name, r, err)
			}
			rs = append(rs, m)
		}
		ms[name] = median(rs)
	}
	rows := compare(names, ms)
	printTables(out, rows, *rounds, *closedLoad, *rate)
	sl := rows[slices.Index(names, "sluice")]
	line, err := json.Marshal(map[string]float64{
		"throughput":      round3(sl.Throughput),
		"p99_added":       round3(sl.AddedP99Ratio),
		"cpu_per_request": round3(sl.CPUOpenRatio),
	})
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = fmt.Fprintln(out, string(line))
	return err //nolint:wrapcheck // writing to stdout
}

// row is one target's figures and its ratios to nginx.
type row struct {
	Name string
	measure
	AddedP50, AddedP90, AddedP99 float64
	Throughput                   float64 // RPS ÷ nginx RPS
	AddedP99Ratio                float64 // added p99 ÷ nginx added p99
	CPUOpenRatio, CPUClosedRatio float64
}

// minAdded floors an added latency before dividing by it: at these loads
// nginx's added latency is tens of microseconds and may measure as zero or
// below through noise (the direct run's tail is as noisy as the proxies'),
// which would make any ratio meaningless.
const minAdded = 10.0 // µs

// compare divides each target's figures by nginx's. Added latencies are
// taken against direct from the target's own open-loop window, and the
// added p99 is divided by nginx's from that window.
func compare(names []string, ms map[string]measure) []row {
	nginx := ms["nginx"]
	rows := make([]row, 0, len(names))
	for _, name := range names {
		m := ms[name]
		r := row{Name: name, measure: m}
		r.Throughput = m.RPS / nginx.RPS
		if name != "direct" {
			r.AddedP50, r.AddedP90, r.AddedP99 = m.P50-m.DirectP50, m.P90-m.DirectP90, m.P99-m.DirectP99
			r.AddedP99Ratio = math.Max(r.AddedP99, minAdded) / math.Max(m.NginxP99-m.DirectP99, minAdded)
		}
		if m.HasCPU && nginx.HasCPU {
			r.CPUOpenRatio = m.CPUOpen / nginx.CPUOpen
			r.CPUClosedRatio = m.CPUClosed / nginx.CPUClosed
		}
		rows = append(rows, r)
	}
	return rows
}

func printTables(out io.Writer, rows []row, rounds int, closedLoad string, rate int) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(out, format, args...) }
	if rounds > 1 {
		p("Median of %d rounds per figure.\n\n", rounds)
	}
	p("Closed loop (%s): throughput, and CPU of the proxy process per request\n\n", closedLoad)
	p("| target | req/s | × nginx | p50 | p99 | CPU µs/req | × nginx |\n")
	p("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		p("| %s | %.0f | %.2f | %s | %s | %s | %s |\n", r.Name, r.RPS, r.Throughput,
			micros(r.WrkP50), micros(r.WrkP99), cpu(r.HasCPU, r.CPUClosed), ratio(r.HasCPU, r.CPUClosedRatio))
	}
	p("\nOpen loop (%d req/s each; direct, nginx and the target at once): latency added to direct, and CPU per request\n\n", rate)
	p("| target | p50 | p90 | p99 | added p50 | added p90 | added p99 | added p99 × nginx | CPU µs/req | × nginx |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		added := [3]string{"–", "–", "–"}
		addedRatio := "–"
		if r.Name != "direct" {
			added = [3]string{micros(r.AddedP50), micros(r.AddedP90), micros(r.AddedP99)}
			addedRatio = fmt.Sprintf("%.2f", r.AddedP99Ratio)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, micros(r.P50), micros(r.P90), micros(r.P99),
			added[0], added[1], added[2], addedRatio, cpu(r.HasCPU, r.CPUOpen), ratio(r.HasCPU, r.CPUOpenRatio))
	}
	p("\n")
}

func micros(us float64) string {
	if math.Abs(us) >= 1000 {
		return fmt.Sprintf("%.2f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}

func cpu(ok bool, us float64) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.1f", us)
}

func ratio(ok bool, x float64) string {
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f", x)
}

func round3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}
