package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// measure is what one target showed in one round. Latencies are in µs; CPU
// is µs of the proxy process's CPU time per request.
type measure struct {
	RPS, WrkP50, WrkP99 float64
	P50, P90, P99       float64
	// The open-loop window's direct and nginx results, measured at the
	// same time as P50..P99 (equal to the target's own for those two).
	DirectP50, DirectP90, DirectP99, NginxP99 float64
	CPUClosed, CPUOpen                        float64
	HasCPU                                    bool
}

// readRound reads DIR/TARGET.ROUND.wrk, .open.json and .cpu. The .cpu file
// holds the proxy's CPU ticks during the closed and the open loop ("-" for
// direct, where there is no proxy).
func readRound(dir, target string, round int, clk float64) (measure, error) {
	base := filepath.Join(dir, fmt.Sprintf("%s.%d", target, round))
	var m measure
	raw, err := os.ReadFile(base + ".wrk")
	if err != nil {
		return m, fmt.Errorf("wrk output: %w", err)
	}
	w, err := parseWrk(string(raw))
	if err != nil {
		return m, fmt.Errorf("%s.wrk: %w", base, err)
	}
	m.RPS, m.WrkP50, m.WrkP99 = w.RPS, w.P50, w.P99

	raw, err = os.ReadFile(base + ".open.json")
	if err != nil {
		return m, fmt.Errorf("openloop output: %w", err)
	}
	type openResult struct {
		Total int     `json:"total"`
		P50   float64 `json:"p50_us"`
		P90   float64 `json:"p90_us"`
		P99   float64 `json:"p99_us"`
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	if len(lines) != 3 {
		return m, fmt.Errorf("%s.open.json: %d lines, want 3 (the window's direct, nginx, and the target)", base, len(lines))
	}
	var window [3]openResult
	for i, line := range lines {
		if err := json.Unmarshal(line, &window[i]); err != nil {
			return m, fmt.Errorf("%s.open.json line %d: %w", base, i+1, err)
		}
	}
	o := window[2]
	m.P50, m.P90, m.P99 = o.P50, o.P90, o.P99
	m.DirectP50, m.DirectP90, m.DirectP99 = window[0].P50, window[0].P90, window[0].P99
	m.NginxP99 = window[1].P99

	raw, err = os.ReadFile(base + ".cpu")
	if err != nil {
		return m, fmt.Errorf("cpu ticks: %w", err)
	}
	f := strings.Fields(string(raw))
	if len(f) == 2 && f[0] != "-" {
		closed, err1 := strconv.ParseFloat(f[0], 64)
		open, err2 := strconv.ParseFloat(f[1], 64)
		if err := errors.Join(err1, err2); err != nil {
			return m, fmt.Errorf("%s.cpu: %w", base, err)
		}
		if w.Requests == 0 || o.Total == 0 {
			return m, fmt.Errorf("%s: no requests to divide CPU by", base)
		}
		m.HasCPU = true
		m.CPUClosed = closed / clk * 1e6 / float64(w.Requests)
		m.CPUOpen = open / clk * 1e6 / float64(o.Total)
	}
	return m, nil
}

// wrkResult is what the report needs from wrk's text output.
type wrkResult struct {
	RPS      float64
	Requests int
	P50, P99 float64 // µs
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkRequests = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkQuantile = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkErrors   = regexp.MustCompile(`(?m)^\s*(Non-2xx or 3xx responses|Socket errors):.*$`)
)

// parseWrk reads wrk --latency output. Any socket error or non-2xx answer
// fails the run: a proxy that drops requests must not look fast.
func parseWrk(s string) (wrkResult, error) {
	var r wrkResult
	if m := wrkErrors.FindString(s); m != "" && !strings.Contains(m, "connect 0, read 0, write 0, timeout 0") {
		return r, fmt.Errorf("wrk saw failed requests: %s", strings.TrimSpace(m))
	}
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		return r, errors.New("no Requests/sec line")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	m = wrkRequests.FindStringSubmatch(s)
	if m == nil {
		return r, errors.New("no request count")
	}
	r.Requests, _ = strconv.Atoi(m[1])
	for _, q := range wrkQuantile.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(q[2], 64)
		switch q[3] {
		case "ms":
			v *= 1e3
		case "s":
			v *= 1e6
		}
		if q[1] == "50" {
			r.P50 = v
		} else {
			r.P99 = v
		}
	}
	if r.P99 == 0 {
		return r, errors.New("no latency distribution (was --latency given?)")
	}
	return r, nil
}

// median takes each figure's median over rounds separately: one noisy round
// moves no figure.
func median(rs []measure) measure {
	pick := func(get func(measure) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return measure{
		RPS:       pick(func(m measure) float64 { return m.RPS }),
		WrkP50:    pick(func(m measure) float64 { return m.WrkP50 }),
		WrkP99:    pick(func(m measure) float64 { return m.WrkP99 }),
		P50:       pick(func(m measure) float64 { return m.P50 }),
		P90:       pick(func(m measure) float64 { return m.P90 }),
		P99:       pick(func(m measure) float64 { return m.P99 }),
		DirectP50: pick(func(m measure) float64 { return m.DirectP50 }),
		DirectP90: pick(func(m measure) float64 { return m.DirectP90 }),
		DirectP99: pick(func(m measure) float64 { return m.DirectP99 }),
		NginxP99:  pick(func(m measure) float64 { return m.NginxP99 }),
		CPUClosed: pick(func(m measure) float64 { return m.CPUClosed }),
		CPUOpen:   pick(func(m measure) float64 { return m.CPUOpen }),
		HasCPU:    rs[0].HasCPU,
	}
}
