package sim

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Row is one scenario × method of the results; the JSON keys are the
// contract for programs that check the figures.
type Row struct {
	Scenario     string  `json:"scenario"`
	Method       string  `json:"method"`
	MedianTime   float64 `json:"median_time_s"`
	P90Time      float64 `json:"p90_time_s"`
	MedianCanary float64 `json:"median_canary_requests"`
	MedianBad    float64 `json:"median_bad_requests"`
	// FalseRollback is the share of runs rolled back, for healthy
	// scenarios; null where the canary is bad (every rollback is right).
	FalseRollback *float64 `json:"false_rollback_rate"`
	// RolledBack is the share of runs rolled back within the horizon.
	RolledBack float64 `json:"rolled_back_rate"`
	// MedianTimeRolledBack and MedianBadRolledBack are the medians over
	// the runs that did roll back only; null when none did.
	MedianTimeRolledBack *float64 `json:"median_time_rolled_back_s"`
	MedianBadRolledBack  *float64 `json:"median_bad_requests_rolled_back"`
	// MedianCensored and P90Censored say that fewer than half (or 90%) of
	// the runs rolled back: those runs count at the horizon, so the figure
	// is a lower bound.
	MedianCensored bool `json:"median_censored"`
	P90Censored    bool `json:"p90_censored"`
	Seeds          int  `json:"seeds"`
	HorizonS       int  `json:"horizon_s"`
	// Event is set in scenarios with an event (a burst) at EventAtS.
	Event *EventRow `json:"event,omitempty"`
}

// EventRow is how a method met a scenario's event: the canary is healthy
// before it, so a rollback before it is a false one.
type EventRow struct {
	AtS int `json:"at_s"`
	// RolledBackBefore is the share of runs rolled back before the event.
	RolledBackBefore float64 `json:"rolled_back_before"`
	// Detected is the share of the other runs rolled back after it, and
	// MedianDelay the median seconds from the event to those rollbacks.
	Detected    float64  `json:"detected"`
	MedianDelay *float64 `json:"median_delay_s"`
	// PassedBefore is the share of runs in which the judge had passed the
	// canary before the event, and DetectedAfterPass the share of those
	// rolled back after it (the judge only; null for other methods).
	PassedBefore      *float64 `json:"passed_before"`
	DetectedAfterPass *float64 `json:"detected_after_pass"`
}

// summarise turns results[scenario][seed][method] into rows.
func summarise(scs []Scenario, results [][][]runResult) []Row {
	var rows []Row
	for i, sc := range scs {
		for m, name := range MethodNames {
			var times, canary, bad, rbTimes, rbBad []float64
			rolled := 0
			for _, r := range results[i] {
				x := r[m]
				times = append(times, float64(x.At))
				canary = append(canary, x.Canary)
				bad = append(bad, x.Bad)
				if x.Out == rolledBack {
					rolled++
					rbTimes = append(rbTimes, float64(x.At))
					rbBad = append(rbBad, x.Bad)
				}
			}
			n := len(results[i])
			rr := float64(rolled) / float64(n)
			r := Row{
				Scenario: sc.Name, Method: name,
				MedianTime: quantile(times, 0.5), P90Time: quantile(times, 0.9),
				MedianCanary: quantile(canary, 0.5), MedianBad: quantile(bad, 0.5),
				RolledBack:     rr,
				MedianCensored: rolled < rankOf(n, 0.5), P90Censored: rolled < rankOf(n, 0.9),
				Seeds: n, HorizonS: sc.Horizon,
			}
			if sc.Healthy {
				r.FalseRollback = &rr
			}
			if rolled > 0 {
				t, b := quantile(rbTimes, 0.5), quantile(rbBad, 0.5)
				r.MedianTimeRolledBack, r.MedianBadRolledBack = &t, &b
			}
			if sc.EventAt > 0 {
				r.Event = eventRow(sc.EventAt, results[i], m, name == "sluice-sequential")
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// eventRow sums up method m's runs around an event at second at.
func eventRow(at int, runs [][]runResult, m int, judge bool) *EventRow {
	e := &EventRow{AtS: at}
	var before, after, passed, passedCaught int
	var delays []float64
	for _, r := range runs {
		x := r[m]
		switch {
		case x.Out == rolledBack && x.At <= at:
			before++
			continue
		case x.Out == rolledBack:
			after++
			delays = append(delays, float64(x.At-at))
		}
		if x.PassedAt > 0 && x.PassedAt <= at {
			passed++
			if x.Out == rolledBack {
				passedCaught++
			}
		}
	}
	n := len(runs)
	e.RolledBackBefore = float64(before) / float64(n)
	if n > before {
		e.Detected = float64(after) / float64(n-before)
	}
	if len(delays) > 0 {
		d := quantile(delays, 0.5)
		e.MedianDelay = &d
	}
	if judge {
		pb := float64(passed) / float64(n)
		e.PassedBefore = &pb
		if passed > 0 {
			dp := float64(passedCaught) / float64(passed)
			e.DetectedAfterPass = &dp
		}
	}
	return e
}

// PrintEventTable writes, for the scenarios with an event, how each method
// met it, as a Markdown table; nothing when there is none.
func PrintEventTable(w io.Writer, scs []Scenario, rows []Row) error {
	var b strings.Builder
	for _, r := range rows {
		e := r.Event
		if e == nil {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n| scenario | method | rolled back before the event | caught after it | median delay | judge had passed before it | caught after a pass |\n")
			b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
		}
		opt := func(v *float64, f func(float64) string) string {
			if v == nil {
				return "—"
			}
			return f(*v)
		}
		pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.Scenario, r.Method,
			pct(e.RolledBackBefore), pct(e.Detected), opt(e.MedianDelay, fmtDur),
			opt(e.PassedBefore, pct), opt(e.DetectedAfterPass, pct))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rankOf is the 1-based nearest rank of quantile q among n values.
func rankOf(n int, q float64) int { return max(1, int(math.Ceil(q*float64(n)))) }

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[rankOf(len(s), q)-1]
}

// PrintTable writes the rows as a Markdown table. "≥" marks figures of runs
// that mostly never rolled back, counted at the horizon.
func PrintTable(w io.Writer, scs []Scenario, rows []Row) error {
	titles := map[string]string{}
	for _, sc := range scs {
		titles[sc.Name] = fmt.Sprintf("%s (`%s`)", sc.Title, sc.Name)
	}
	var b strings.Builder
	b.WriteString("| scenario | method | median time to rollback | p90 time | median canary requests | median bad requests | rolled back | median time, rolled-back runs | false rollbacks |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ge := func(c bool) string {
			if c {
				return "≥ "
			}
			return ""
		}
		fr := "—"
		if r.FalseRollback != nil {
			fr = fmt.Sprintf("%.2f%%", 100**r.FalseRollback)
		}
		rb := "—"
		if r.MedianTimeRolledBack != nil {
			rb = fmtDur(*r.MedianTimeRolledBack)
		}
		fmt.Fprintf(&b, "| %s | %s | %s%s | %s%s | %s%.0f | %s%.0f | %.1f%% | %s | %s |\n",
			titles[r.Scenario], r.Method,
			ge(r.MedianCensored), fmtDur(r.MedianTime), ge(r.P90Censored), fmtDur(r.P90Time),
			ge(r.MedianCensored), r.MedianCanary, ge(r.MedianCensored), r.MedianBad,
			100*r.RolledBack, rb, fr)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtDur(s float64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 90*60:
		return strings.Replace(fmt.Sprintf("%.1f min", s/60), ".0 min", " min", 1)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}
