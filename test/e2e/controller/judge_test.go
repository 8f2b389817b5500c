package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// judgeRelease is the subsets release judged by the statistical judge
// alone, from the mesh's request counts in Prometheus.
func (s *subsets) judgeRelease(promURL, interval string) string {
	return s.releaseWith(`    deployments: {stable: api-v1, canary: api-v2}`, `    - setWeight: 30
    - pause: {duration: 4s}
    - setWeight: 60`, fmt.Sprintf(`    interval: %s
    prometheus: {address: %q}
    judge: {alpha: 0.01, minRequests: 150}`, interval, promURL))
}

// testJudgePromoted: a canary better than stable is promoted only once the
// judge has passed it, and its evidence is in the status.
func testJudgePromoted(t *testing.T, cl *cluster, s *subsets, promURL string) {
	cl.createYAML(t, s.ns, s.judgeRelease(promURL, "2s"))
	cl.waitRelease(t, s.ns, "api", 60*time.Second, "the wait for the judge", func(r *v1alpha1.Release) bool {
		return strings.Contains(r.Status.Message, "waiting for the statistical judge to pass the canary")
	})
	// The latency pass tests wait for 1,000 stable requests to place
	// stable's p99: about 15 s of this mesh's traffic at 40%, and a few
	// minutes on a machine so loaded that the mesh's own requests stall.
	rel := cl.waitRelease(t, s.ns, "api", 240*time.Second, "promotion", phaseIs(v1alpha1.PhasePromoted))
	j := rel.Status.Analysis.Judge
	if j == nil || j.Decision != "Pass" || j.State == "" || j.Canary == nil || j.Canary.Requests == 0 || len(j.Canary.Buckets) == 0 {
		t.Fatalf("judge status after promotion: %+v", j)
	}
}

// testJudgeRolledBack: a canary failing 10% of requests against a stable
// that fails none is rolled back by the judge, with its reason.
func testJudgeRolledBack(t *testing.T, cl *cluster, s *subsets, promURL string) {
	// An analysis interval of 5 minutes: the judge reads Prometheus every
	// 10 s between checks, so the rollback comes long before the second
	// check would.
	created := time.Now()
	cl.createYAML(t, s.ns, s.judgeRelease(promURL, "5m"))
	rel := cl.waitRelease(t, s.ns, "api", 120*time.Second, "rollback", phaseIs(v1alpha1.PhaseRolledBack))
	t.Logf("rolled back %s after the release was created, with a 5m analysis interval", time.Since(created).Round(time.Second))
	if !strings.Contains(rel.Status.Message, "statistical judge failed the canary") {
		t.Fatalf("rolled back for another reason: %s", rel.Status.Message)
	}
	if j := rel.Status.Analysis.Judge; j == nil || j.Decision != "Fail" {
		t.Fatalf("judge status after rollback: %+v", j)
	}
	if tree := cl.sluice(t, s.ns, "get", "api"); !strings.Contains(tree, "Judge:      Fail — canary error rate") {
		t.Errorf("get does not show the judge's verdict:\n%s", tree)
	}
	if w := weights(t, cl.getObject(t, vsGVK, s.ns, "api"), "primary"); w["v1"] != 100 || w["v2"] != 0 {
		t.Errorf("weights after rollback: %v", w)
	}
}
