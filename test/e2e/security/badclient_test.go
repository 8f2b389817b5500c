package security

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sluice.dev/sluice/internal/release"
)

// badClientDuration is how long TestBadClientsCannotRollBackACanary sends
// bad requests: 10 s by default, for CI; SLUICE_BAD_CLIENT_DURATION=60s is
// the minute, run by hand.
func badClientDuration(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("SLUICE_BAD_CLIENT_DURATION")
	if v == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("SLUICE_BAD_CLIENT_DURATION=%q: want a duration such as 60s", v)
	}
	return d
}

// badClient is one way a client can misbehave: what it sends, and what it
// gets. reset ends the connection after sending (a reset, not a close);
// want is the status the proxy answers, 0 for none (the connection ends).
type badClient struct {
	name  string
	send  string
	reset bool
	want  int
}

var badClients = []badClient{
	{name: "invalid chunk", send: "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", want: 400},
	{name: "invalid chunk after 20 KiB", send: "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5000\r\n" + strings.Repeat("x", 0x5000) + "\r\nzz\r\n", want: 400},
	{name: "length and chunked", send: "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: 400},
	{name: "chunked on HTTP/1.0", send: "POST /c HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: 400},
	{name: "100 KiB header line", send: "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", 100<<10) + "\r\n\r\n", want: 431},
	{name: "10,000 header fields", send: "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", 10000) + "\r\n", want: 431},
	{name: "9 KiB target", send: "GET /" + strings.Repeat("u", 9<<10) + " HTTP/1.1\r\nHost: h\r\n\r\n", want: 414},
	{name: "CONNECT", send: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", want: 405},
	{name: "reset mid-body", send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf", reset: true},
	{name: "reset mid-body after 20 KiB", send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 20<<10), reset: true},
	{name: "stalled body", send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf", want: 408},
	{name: "stalled body after 20 KiB", send: "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 20<<10), want: 408},
	{name: "half a head", send: "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: 1\r\n"},
}

// sendBadClient sends one bad request on its own connection and returns
// the status it was answered with, 0 for none.
func sendBadClient(addr string, b badClient) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, b.send); err != nil && !b.reset {
		return 0, nil // refused before all was sent: the answer may still come
	}
	if b.reset {
		_ = conn.(*net.TCPConn).SetLinger(0)
		return 0, nil
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil //nolint:nilerr // the connection ended without an answer
	}
	_ = res.Body.Close()
	return res.StatusCode, nil
}

// TestBadClientsCannotRollBackACanary runs a release whose canary is as
// healthy as stable, at 10% with analysis every 500 ms (two failed checks
// roll back), sends it healthy traffic, and beside it bad requests of
// every kind at 10 per second. The release must stay where it was — no
// rollback, no ejection, the same step and weight — and every healthy
// request succeed. Before issue 12's fixes, invalid chunks were counted
// as the canary's 502s and rolled it back within seconds.
func TestBadClientsCannotRollBackACanary(t *testing.T) {
	duration := badClientDuration(t)
	s := startSluice(t, "bad-clients", "      limits: {bodyTimeout: 1s, headerTimeout: 2s}\n", fmt.Sprintf(`  workload:
    local:
      stable: {version: v1, command: [%q, app, --version=v1]}
      canary: {version: v2, command: [%q, app, --version=v2]}
  strategy:
    steps:
      - setWeight: 10
      - analysis: {passes: 100000}
  analysis:
    interval: 500ms
    threshold: 2
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        window: 2s
`, sluiceBin, sluiceBin))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var healthy, failed atomic.Int64
	var lastFailure atomic.Value
	wg.Add(1)
	go func() { // healthy traffic, about 50 requests a second
		defer wg.Done()
		c := client()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			res, err := c.Get("http://" + s.proxyAddr + "/")
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
			healthy.Add(1)
			if err != nil || res.StatusCode != 200 {
				failed.Add(1)
				lastFailure.Store(fmt.Sprint(err, res))
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	start := s.waitFor(t, 60*time.Second, "the analysis step at weight 10", func(snap *release.View) bool {
		st := snap.Release.Status
		return st.StepIndex == 1 && st.CanaryWeight == 10 && snap.Versions[1].Requests > 0
	})

	// Bad requests, 10 a second, each kind in turn, each on its own
	// connection (a stalled one waits out the body timeout).
	type outcome struct {
		kind string
		code int
		err  error
	}
	outcomes := make(chan outcome, 10000)
	var bad sync.WaitGroup
	tick := time.NewTicker(100 * time.Millisecond)
	for i, end := 0, time.Now().Add(duration); time.Now().Before(end); i++ {
		<-tick.C
		b := badClients[i%len(badClients)]
		bad.Add(1)
		go func() {
			defer bad.Done()
			code, err := sendBadClient(s.proxyAddr, b)
			outcomes <- outcome{b.name, code, err}
		}()
	}
	tick.Stop()
	bad.Wait()
	close(outcomes)
	sent := 0
	for o := range outcomes {
		sent++
		want := 0
		for _, b := range badClients {
			if b.name == o.kind {
				want = b.want
			}
		}
		if o.err != nil || o.code != want {
			t.Errorf("%s: answered %d (%v), want %d", o.kind, o.code, o.err, want)
		}
	}
	time.Sleep(time.Second) // one more check or two on the traffic after

	end := s.snapshot(t)
	st, st0 := end.Release.Status, start.Release.Status
	t.Logf("%d bad requests in %v beside %d healthy ones; release %s, step %d, weight %d: %s",
		sent, duration, healthy.Load(), st.Phase, st.StepIndex, st.CanaryWeight, st.Message)
	if st.Phase != st0.Phase || st.StepIndex != st0.StepIndex || st.CanaryWeight != st0.CanaryWeight {
		t.Errorf("the release moved: %s step %d weight %d -> %s step %d weight %d: %s",
			st0.Phase, st0.StepIndex, st0.CanaryWeight, st.Phase, st.StepIndex, st.CanaryWeight, st.Message)
	}
	for _, v := range end.Versions {
		if v.Ejected || v.Ejections > 0 {
			t.Errorf("%s was ejected: %s", v.Name, v.LastEjectionReason)
		}
		if v.SuccessRate != nil && *v.SuccessRate < 100 {
			t.Errorf("%s success rate %.2f%%, want 100%%", v.Name, *v.SuccessRate)
		}
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d healthy requests failed; last: %v", n, healthy.Load(), lastFailure.Load())
	}
}
