package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The judge's reasons are read by people deciding whether to trust an
// automatic rollback, so they say what was compared, how strong the
// evidence is against the bound, and how much data it rests on.

func (j *Judge) failReason(e Evidence) string {
	return fmt.Sprintf("%s: evidence reached 1/α for this test (e=%s ≥ %s) after %d canary requests",
		describeRates(e), fmtE(e.LogE), trimFloat(e.FailAt), j.st.Errors.CanaryTotal)
}

func (j *Judge) passReason(ev []Evidence) string {
	parts := make([]string, 0, len(ev))
	for _, e := range ev {
		parts = append(parts, fmt.Sprintf("%s (e=%s ≥ %s)", describeRates(e), fmtE(e.PassLogE), trimFloat(e.PassAt)))
	}
	return fmt.Sprintf("canary not worse than stable by the margin (%s× its rates) after %d canary requests: %s",
		trimFloat(j.cfg.PassRatio), j.st.Errors.CanaryTotal, strings.Join(parts, "; "))
}

func (j *Judge) continueReason(ev []Evidence) string {
	var b strings.Builder
	e := j.st.Errors
	switch {
	case e.CanaryTotal < j.cfg.MinRequests:
		fmt.Fprintf(&b, "need %d more canary requests before a pass is possible (have %d, minimum %d)",
			j.cfg.MinRequests-e.CanaryTotal, e.CanaryTotal, j.cfg.MinRequests)
	case e.StableTotal < j.cfg.MinRequests:
		fmt.Fprintf(&b, "need %d more stable requests before a pass is possible (have %d, minimum %d)",
			j.cfg.MinRequests-e.StableTotal, e.StableTotal, j.cfg.MinRequests)
	default:
		fmt.Fprintf(&b, "no decision after %d canary requests", e.CanaryTotal)
		if more, ok := j.morePassRequests(ev); ok {
			fmt.Fprintf(&b, "; at this pace a pass needs about %d more canary requests", more)
		}
	}
	var pending []string
	for _, x := range ev {
		if x.Passed {
			continue
		}
		if x.Test == "latency" {
			if q, ok := j.unplacedQuantile(); ok {
				pending = append(pending, fmt.Sprintf("latency pass tests wait for %d stable requests to place stable's p%s",
					int(math.Ceil(10/(1-q))), trimFloat(100*q)))
				continue
			}
		}
		pending = append(pending, fmt.Sprintf("%s: %s, fail evidence e=%s of %s, pass evidence e=%s of %s",
			x.Test, describeRates(x), fmtE(x.LogE), trimFloat(x.FailAt), fmtE(x.PassLogE), trimFloat(x.PassAt)))
	}
	if len(pending) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(pending, "; "))
	}
	if n := j.st.SkippedLatency; n > 0 {
		fmt.Fprintf(&b, " (%d batches had latency buckets that do not match the %d configured bounds and were left out)",
			n, len(j.cfg.LatencyBounds))
	}
	return b.String()
}

// unplacedQuantile is the highest quantile whose bound is not placed yet.
func (j *Judge) unplacedQuantile() (float64, bool) {
	for i := len(j.st.Latency) - 1; i >= 0; i-- {
		if lt := j.st.Latency[i]; lt.Boundary < 0 {
			return lt.Quantile, true
		}
	}
	return 0, false
}

// morePassRequests extrapolates the slowest pass-side evidence linearly in
// canary requests. It is a hint for people, not part of any test.
func (j *Judge) morePassRequests(ev []Evidence) (uint64, bool) {
	n := float64(j.st.Errors.CanaryTotal)
	var worst float64
	for _, x := range ev {
		if x.Passed {
			continue
		}
		if x.PassLogE <= 0 || x.CanaryRequests == 0 {
			return 0, false
		}
		worst = max(worst, n*(math.Log(x.PassAt)-x.PassLogE)/x.PassLogE)
	}
	return uint64(math.Ceil(worst)), worst > 0
}

// describeRates says what a test compares.
func describeRates(e Evidence) string {
	if e.Test == "error-rate" {
		return fmt.Sprintf("canary error rate %s vs stable %s", fmtPct(e.CanaryRate), fmtPct(e.StableRate))
	}
	if e.BoundarySeconds == 0 {
		return "canary latency vs stable's (too few stable requests to place its quantiles yet)"
	}
	return fmt.Sprintf("canary requests slower than %s (the bucket bound below stable's p%s) %s vs stable %s",
		fmtSeconds(e.BoundarySeconds), trimFloat(100*e.Quantile), fmtPct(e.CanaryRate), fmtPct(e.StableRate))
}

func fmtPct(r float64) string {
	p := 100 * r
	if p >= 10 || p == 0 {
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(p, 'g', 2, 64) + "%"
}

// fmtE prints an e-value from its logarithm, three significant digits.
func fmtE(logE float64) string {
	if logE > 690 {
		return ">1e300"
	}
	return strconv.FormatFloat(math.Exp(logE), 'g', 3, 64)
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func fmtSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(10 * time.Microsecond)
	}
	return d.String()
}
