package telemetry

import (
	"math"
	"strconv"

	"sluice.dev/sluice/internal/analysis"
)

// judgeDecisions are every decision, so the verdict gauge is one-hot.
var judgeDecisions = []analysis.JudgeDecision{analysis.JudgePass, analysis.JudgeFail, analysis.JudgeContinue}

// ObserveJudge records the statistical judge's latest verdict for a
// release: its decision and, per test, the log evidence against the canary
// and the level at which it fails the canary. The tests of the previous
// verdict are replaced, so a new release never shows old evidence.
func (r *Recorder) ObserveJudge(namespace, name string, v analysis.JudgeVerdict) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	match := map[string]string{labelNamespace: namespace, labelRelease: name}
	r.judgeLogE.DeletePartialMatch(match)
	r.judgeFailAt.DeletePartialMatch(match)
	for _, d := range judgeDecisions {
		r.judgeVerdict.WithLabelValues(namespace, name, string(d)).Set(boolValue(d == v.Decision))
	}
	for _, e := range v.Evidence {
		test := testLabel(e)
		r.judgeLogE.WithLabelValues(namespace, name, test).Set(e.LogE)
		if e.FailAt > 0 {
			r.judgeFailAt.WithLabelValues(namespace, name, test).Set(math.Log(e.FailAt))
		}
	}
}

// testLabel names a test: "error-rate", or "latency-p99" with its
// quantile, so several latency tests stay apart.
func testLabel(e analysis.Evidence) string {
	if e.Quantile <= 0 {
		return e.Test
	}
	return e.Test + "-p" + strconv.FormatFloat(e.Quantile*100, 'f', -1, 64)
}
