// Command detection measures how fast, and at what cost in bad requests,
// canary analysis methods roll back a bad canary, and how often they roll
// back a healthy one. Every method runs on the very same simulated request
// streams; see README.md for the model and the recorded results. The
// simulation itself lives in package sim, so that tests can run it too.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"sluice.dev/sluice/bench/detection/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "detection:", err)
		os.Exit(1)
	}
}

// floats parses a comma-separated list of numbers; empty gives nil.
func floats(flag, list string) ([]float64, error) {
	if list == "" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// writeJSONFile writes the rows as the -json output to a file.
func writeJSONFile(name string, rows []sim.Row) error {
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("-json-out: %w", err)
	}
	return nil
}

// offIfZero turns a flag's "0 is off" into the judge's "negative is off".
func offIfZero(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("detection", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sim.Options
	fs.IntVar(&o.Seeds, "seeds", 400, "random seeds (runs) per scenario")
	fs.Uint64Var(&o.SeedBase, "seed-base", 1, "first seed")
	fs.Float64Var(&o.Alpha, "alpha", 0.01, "the judge's false-rollback bound α")
	fs.Float64Var(&o.SPRTAlpha, "sprt-alpha", 0, "sprt-bound's α (default: -alpha)")
	fs.Float64Var(&o.SPRTBeta, "sprt-beta", 0.05, "sprt-bound's β")
	fs.IntVar(&o.Workers, "workers", runtime.GOMAXPROCS(0), "parallel runs")
	hours := fs.Float64("healthy-hours", 4, "how long healthy canaries are watched")
	minutes := fs.Int("horizon-minutes", 60, "how long a run with a bad canary lasts at most")
	only := fs.String("scenarios", "", "comma-separated scenario names to run (default all)")
	ratios := fs.String("judge-ratios", "", "the judge's alternatives, comma-separated (default: the judge's)")
	weights := fs.String("judge-ratio-weights", "", "prior weights of -judge-ratios, comma-separated (default: the judge's)")
	fs.Float64Var(&o.Judge.ErrorAlphaShare, "judge-error-share", 0, "share of α for the judge's error test (default: the judge's)")
	fs.Uint64Var(&o.Judge.WindowRequests, "judge-window", 0, "requests of each arm the judge pools into a window (default: the judge's)")
	margin := fs.Float64("judge-margin", -1, "the judge's latency margin, a fraction of stable's latency; 0 turns it off (default: the judge's, 0.2)")
	marginAbs := fs.Duration("judge-margin-abs", -1, "the judge's absolute latency margin; 0 turns it off (default: the judge's, 5ms)")
	prof := fs.String("cpuprofile", "", "write a CPU profile to this file")
	asJSON := fs.Bool("json", false, "print the results as one JSON array")
	jsonOut := fs.String("json-out", "", "also write the JSON array to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.Judge.Ratios, err = floats("-judge-ratios", *ratios); err != nil {
		return err
	}
	if o.Judge.RatioWeights, err = floats("-judge-ratio-weights", *weights); err != nil {
		return err
	}
	if *margin >= 0 {
		o.Judge.LatencyRelativeMargin = offIfZero(*margin)
	}
	if *marginAbs >= 0 {
		o.Judge.LatencyAbsoluteMargin = offIfZero(marginAbs.Seconds())
	}
	if o.SPRTAlpha == 0 {
		o.SPRTAlpha = o.Alpha
	}
	if o.Seeds < 1 {
		return fmt.Errorf("-seeds must be at least 1, got %d", o.Seeds)
	}
	if *hours <= 0 || *minutes <= 0 {
		return fmt.Errorf("-healthy-hours and -horizon-minutes must be positive")
	}
	scs := sim.Scenarios(*hours, *minutes*60)
	if *only != "" {
		want := strings.Split(*only, ",")
		scs = slices.DeleteFunc(scs, func(s sim.Scenario) bool { return !slices.Contains(want, s.Name) })
		if len(scs) == 0 {
			return fmt.Errorf("no scenario named in %q", *only)
		}
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	rows, err := sim.Run(scs, o)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeJSONFile(*jsonOut, rows); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("writing JSON: %w", err)
		}
	} else {
		if err := sim.PrintTable(stdout, scs, rows); err != nil {
			return fmt.Errorf("writing the table: %w", err)
		}
		if err := sim.PrintEventTable(stdout, scs, rows); err != nil {
			return fmt.Errorf("writing the event table: %w", err)
		}
	}
	_, _ = fmt.Fprintf(stderr, "%d scenarios × %d seeds in %s on %d workers (judge α=%g, sprt α=%g β=%g)\n",
		len(scs), o.Seeds, time.Since(start).Round(100*time.Millisecond), o.Workers, o.Alpha, o.SPRTAlpha, o.SPRTBeta)
	return nil
}
