package controller

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/sampleapp"
	"sluice.dev/sluice/test/e2e/envtest"
)

// TestLoadtester runs a release whose only traffic comes from a load-test
// webhook written as for Flagger (type rollout, metadata {cmd: "hey -z 1m
// -q 20 -c 2 …"}, no task type), served by `sluice loadtester` as its own
// process, and held at the end by a confirm-promotion webhook on the load
// tester's /gate/check until someone opens the gate. The canary must be
// judged on the load tester's requests (there are no others), promoted
// once the gate opens, and the load test must have run once, not once per
// check.
func TestLoadtester(t *testing.T) {
	cl := startCluster(t, "http://127.0.0.1:9")
	ns := twoDeployments(t, cl, "loadtester")
	cl.createYAML(t, ns, twoHostsVS)
	in := startIngress(t, cl, ns)
	prom := envtest.StartPrometheus(t, []string{in.metricsAddr})
	lt := startLoadtester(t)

	const rate = 40 // hey -q 20 -c 2
	cmd := fmt.Sprintf("hey -z 1m -q 20 -c 2 http://%s/", in.addr)
	cl.createYAML(t, ns, twoHostsRelease(fmt.Sprintf(`    - setWeight: 20
    - analysis: {passes: 2}
    - setWeight: 50
    - analysis: {passes: 2}
  analysis:
    interval: 2s
    threshold: 2
    prometheus: {address: %q}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      window: 6s
  webhooks:
  - name: load-test
    type: rollout
    url: %q
    timeout: 5s
    metadata: {cmd: %q}
  - name: gate
    type: confirm-promotion
    url: %q
`, prom.URL, lt.url+"/", cmd, lt.url+"/gate/check")))

	start := time.Now()
	cl.waitRelease(t, ns, "api", 2*time.Minute, "the gate at the end", func(r *v1alpha1.Release) bool {
		return strings.Contains(r.Status.Message, "confirm-promotion webhook said no")
	})
	if in.canary.Load() == 0 {
		t.Fatal("the canary got no request from the load tester")
	}
	time.Sleep(3 * time.Second)
	if rel := cl.waitRelease(t, ns, "api", time.Second, "still held", func(*v1alpha1.Release) bool { return true }); rel.Status.Phase != v1alpha1.PhaseProgressing {
		t.Fatalf("passed a closed gate: %s", rel.Status.Phase)
	}
	lt.post(t, "/gate/open", map[string]string{"name": "api", "namespace": ns})
	rel := cl.waitRelease(t, ns, "api", time.Minute, "promotion once the gate is open", phaseIs(v1alpha1.PhasePromoted))
	took := time.Since(start)
	if rel.Status.Analysis.PassedChecks < 4 || rel.Status.Analysis.FailedChecks != 0 {
		t.Errorf("analysis %+v", rel.Status.Analysis)
	}
	// One load test at 40 req/s since the first check, however many checks
	// called the webhook; two would have sent twice as many.
	sent := in.stable.Load() + in.canary.Load()
	if most := int64(rate*took.Seconds()) + rate; sent > most {
		t.Errorf("the mesh saw %d requests in %s; one load test sends at most %d", sent, took.Round(time.Second), most)
	}
	if !strings.Contains(lt.out.String(), "load test already running") {
		t.Errorf("the load tester never found its test running:\n%s", tail(lt.out.String(), 3000))
	}
	t.Logf("promoted after %s on %d requests from the load tester (%d to the canary)", took.Round(time.Second), sent, in.canary.Load())
}

// ingress stands in for the mesh's entry: it takes requests (here, the
// load tester's), sends each to stable or canary as the VirtualService's
// weights say, and exports them with Istio's metric names.
type ingress struct {
	*mesh
	addr, metricsAddr string
	stable, canary    atomic.Int64
	n                 atomic.Int64
}

func startIngress(t *testing.T, cl *cluster, ns string) *ingress {
	t.Helper()
	in := &ingress{mesh: &mesh{c: cl.c, ns: ns, vs: "api", route: "main",
		isCanary: func(d map[string]any) bool { return d["host"] == "api-canary" },
		stable:   upstream{workload: "api-stable", version: "v1"}, canary: upstream{workload: "api-canary", version: "v2"}}}
	for _, u := range []*upstream{&in.mesh.stable, &in.mesh.canary} {
		srv := httptest.NewServer(sampleapp.Handler(sampleapp.Config{Version: u.version, Latency: time.Millisecond}, nil))
		t.Cleanup(srv.Close)
		u.url = srv.URL
	}
	in.metrics = serveIstioMetrics(t)
	in.metricsAddr = in.metrics.Addr

	hc := &http.Client{Timeout: 5 * time.Second}
	in.addr = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.mu.Lock()
		weight := in.weight
		in.mu.Unlock()
		n := in.n.Add(1)
		up, count := in.mesh.stable, &in.stable
		if (n*weight)/100 != ((n-1)*weight)/100 {
			up, count = in.mesh.canary, &in.canary
		}
		count.Add(1)
		in.request(r.Context(), hc, up)
		w.WriteHeader(http.StatusNoContent)
	}))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { in.followWeights(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return in
}

// serve serves h on a loopback port until the test ends.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// loadtesterProcess is `sluice loadtester` running as its own process.
type loadtesterProcess struct {
	url string
	out *lockedBuffer
}

func startLoadtester(t *testing.T) *loadtesterProcess {
	t.Helper()
	cmd := exec.Command(sluiceBin, "loadtester", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("loadtester output:\n%s", tail(out.String(), 4000))
		}
	})
	lines := bufio.NewScanner(stdout)
	first := make(chan string, 1)
	go func() {
		defer close(done)
		defer func() { _ = cmd.Wait() }()
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		_, _ = io.Copy(out, stdout)
	}()
	select {
	case line := <-first:
		_, rest, ok := strings.Cut(line, "listening on ")
		url, _, _ := strings.Cut(rest, ";")
		if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("loadtester said %q", line)
		}
		return &loadtesterProcess{url: url, out: out}
	case <-time.After(30 * time.Second):
		t.Fatal("loadtester did not start")
	}
	return nil
}

// post sends a payload to one of the load tester's endpoints.
func (p *loadtesterProcess) post(t *testing.T, path string, payload any) {
	t.Helper()
	body, _ := json.Marshal(payload)
	resp, err := http.Post(p.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}
