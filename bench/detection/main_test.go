package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sluice.dev/sluice/bench/detection/sim"
)

// The benchmark end to end on a few seeds: the JSON has the agreed keys and
// methods, and the figures hang together.
func TestBenchmarkJSON(t *testing.T) {
	var out, errs bytes.Buffer
	args := []string{"-seeds", "24", "-scenarios", "error-0.1-to-5,p99-plus-200,healthy",
		"-healthy-hours", "0.25", "-horizon-minutes", "20", "-json"}
	if err := run(args, &out, &errs); err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("output is not one JSON array: %v\n%s", err, out.String())
	}
	if len(rows) != 3*len(sim.MethodNames) {
		t.Fatalf("got %d rows, want %d", len(rows), 3*len(sim.MethodNames))
	}
	byKey := map[string]map[string]any{}
	for _, r := range rows {
		for _, k := range []string{"scenario", "method", "median_time_s", "p90_time_s", "median_canary_requests", "median_bad_requests", "false_rollback_rate"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row %v has no key %q", r, k)
			}
		}
		if !slices.Contains(sim.MethodNames, r["method"].(string)) {
			t.Errorf("unknown method %v", r["method"])
		}
		byKey[r["scenario"].(string)+"/"+r["method"].(string)] = r
	}
	num := func(key, field string) float64 {
		v, ok := byKey[key][field].(float64)
		if !ok {
			t.Fatalf("%s %s = %v, not a number", key, field, byKey[key][field])
		}
		return v
	}
	for _, sc := range []string{"error-0.1-to-5", "p99-plus-200"} {
		seq, floor := sc+"/sluice-sequential", sc+"/sprt-bound"
		if rb := num(seq, "rolled_back_rate"); rb != 1 {
			t.Errorf("%s: judge rolled back %.0f%% of bad canaries, want all", sc, 100*rb)
		}
		if num(seq, "median_time_s") >= num(sc+"/flagger", "median_time_s") {
			t.Errorf("%s: judge's median time %v not below the Flagger-like one %v", sc, num(seq, "median_time_s"), num(sc+"/flagger", "median_time_s"))
		}
		if num(floor, "median_time_s") > num(seq, "median_time_s") {
			t.Errorf("%s: the SPRT floor %v is above the judge %v", sc, num(floor, "median_time_s"), num(seq, "median_time_s"))
		}
		if byKey[seq]["false_rollback_rate"] != nil {
			t.Errorf("%s: false_rollback_rate = %v on a bad canary, want null", sc, byKey[seq]["false_rollback_rate"])
		}
	}
	if fr := num("healthy/sluice-sequential", "false_rollback_rate"); fr > 0.1 {
		t.Errorf("healthy: judge false-rollback rate %v", fr)
	}
	if !strings.Contains(errs.String(), "3 scenarios × 24 seeds") {
		t.Errorf("summary line missing: %q", errs.String())
	}
}

func TestBenchmarkRejectsBadFlags(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"no such scenario": {args: []string{"-scenarios", "nope"}, want: "no scenario named"},
		"no seeds":         {args: []string{"-seeds", "0"}, want: "-seeds must be at least 1"},
		"bad ratios":       {args: []string{"-judge-ratios", "2,x"}, want: "-judge-ratios"},
		"bad alpha":        {args: []string{"-alpha", "2", "-seeds", "1", "-scenarios", "error-0.1-to-5"}, want: "alpha must be in (0, 1)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if err := run(tc.args, &out, &errs); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%v) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
