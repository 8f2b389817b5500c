package controller

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// maxRSSWith100 bounds the controller's resident memory with 100 active
// releases; a leak or a cache of everything would break it.
const maxRSSWith100 = 300 << 20

// testMemory drives 100 releases to a pause at once and reads the
// controller's resident memory.
func testMemory(t *testing.T, cl *cluster) {
	ns := cl.env.NewNamespace(t, "many")
	cl.kubelet(t, ns)
	const n = 100
	for i := range n {
		stable, canary := fmt.Sprintf("api%d-stable", i), fmt.Sprintf("api%d-canary", i)
		cl.create(t,
			deployment(ns, stable, map[string]string{"app": fmt.Sprint("api", i), "track": "stable"}, "example/api:1"),
			deployment(ns, canary, map[string]string{"app": fmt.Sprint("api", i), "track": "canary"}, "example/api:2"),
		)
		cl.createYAML(t, ns, strings.NewReplacer("name: api", fmt.Sprintf("name: api%d", i), "api-stable", stable, "api-canary", canary).Replace(twoHostsVS))
		cl.createYAML(t, ns, releaseYAML(fmt.Sprintf("api%d", i), fmt.Sprintf(`  workload:
    deployments: {stable: %s, canary: %s}
  traffic:
    istio:
      virtualService: api%d
      stable: {host: %s}
      canary: {host: %s}
  strategy:
    steps:
    - setWeight: 10
    - pause: {}
`, stable, canary, i, stable, canary)))
	}
	deadline := time.Now().Add(3 * time.Minute)
	for i := range n {
		cl.waitRelease(t, ns, fmt.Sprintf("api%d", i), time.Until(deadline), "the pause", phaseIs(v1alpha1.PhasePaused))
	}
	time.Sleep(3 * time.Second) // a few more ticks of all 100
	rss := residentBytes(t, cl.ctrl.cmd.Process.Pid)
	t.Logf("controller resident memory with %d paused releases: %.1f MiB", n, float64(rss)/(1<<20))
	if rss > maxRSSWith100 {
		t.Fatalf("controller uses %d MiB with %d releases, more than %d MiB", rss>>20, n, maxRSSWith100>>20)
	}
}

// residentBytes reads VmRSS of a process.
func residentBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
