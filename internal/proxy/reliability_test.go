package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// outcome is one request of a load run.
type outcome struct {
	start  time.Time
	method string
	err    string // empty when the answer was 200
}

// loadUntil sends requests from workers (GET on the fast path, POST with a
// body on the transport path) until stop is closed, and returns every
// outcome. Each request is bounded by the client's timeout.
func loadUntil(url string, gets, posts int, stop <-chan struct{}) func() []outcome {
	c := client()
	var mu sync.Mutex
	var all []outcome
	var wg sync.WaitGroup
	worker := func(method string) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			o := outcome{start: time.Now(), method: method}
			var body io.Reader
			if method == http.MethodPost {
				body = strings.NewReader("order=1")
			}
			req, _ := http.NewRequest(method, url, body)
			res, err := c.Do(req)
			switch {
			case err != nil:
				o.err = err.Error()
			default:
				_, err = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if err != nil {
					o.err = err.Error()
				} else if res.StatusCode != http.StatusOK {
					o.err = res.Status
				}
			}
			mu.Lock()
			all = append(all, o)
			mu.Unlock()
		}
	}
	for range gets {
		wg.Add(1)
		go worker(http.MethodGet)
	}
	for range posts {
		wg.Add(1)
		go worker(http.MethodPost)
	}
	return func() []outcome {
		wg.Wait()
		return all
	}
}

// waitFor polls cond every 5 ms until it holds or the deadline passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TestUpstreamKilledUnderLoad kills the canary's process (SIGKILL) while
// GETs and POSTs flow at 50%. The canary must be ejected after consecutive
// failures, GETs must never fail (failed ones are retried on stable), POSTs
// may fail only if they were in flight at the kill, the failures must count
// against the canary, and when the ejection ends the dead canary must be
// ejected again, for longer.
func TestUpstreamKilledUnderLoad(t *testing.T) {
	st := startUpstreamProcess(t, "stable")
	ca := startUpstreamProcess(t, "canary")
	const base = 500 * time.Millisecond
	p := newTestProxyWith(t, Options{OutlierConsecutiveErrors: 5, OutlierBaseEjection: base}, st.URL, ca.URL, 50)
	fe := front(t, p)

	const gets, posts = 6, 2
	stop := make(chan struct{})
	wait := loadUntil(fe.URL, gets, posts, stop)
	stopped := false
	finish := func() []outcome {
		if !stopped {
			close(stop)
			stopped = true
		}
		return wait()
	}
	defer finish()

	if !waitFor(5*time.Second, func() bool { return p.Stats().Canary.Requests > 200 }) {
		t.Fatal("canary got no traffic before the kill")
	}
	killedAt := time.Now()
	ca.kill(t)

	if !waitFor(3*time.Second, func() bool { return p.Health().Canary.Ejected }) {
		t.Fatalf("canary not ejected 3s after its process was killed: %+v", p.Health().Canary)
	}
	h := p.Health().Canary
	ejectedAt := h.LastEjection
	t.Logf("ejected %v after the kill: %s", ejectedAt.Sub(killedAt).Round(time.Millisecond), h.LastReason)
	if h.Ejections != 1 || !strings.Contains(h.LastReason, "consecutive gateway failures") || h.EjectedUntil.Before(time.Now()) {
		t.Errorf("first ejection: %+v", h)
	}
	// The ejection ends after base; the canary is still dead, so the next
	// requests that try it fail, are retried, and eject it again.
	if !waitFor(base+3*time.Second, func() bool { return p.Health().Canary.Ejections >= 2 }) {
		t.Fatalf("dead canary not ejected again after its ejection ended: %+v", p.Health().Canary)
	}
	h = p.Health().Canary
	if !h.Ejected || h.EjectedUntil.Sub(h.LastEjection) < 2*base-10*time.Millisecond {
		t.Errorf("second ejection should last 2×base: %+v", h)
	}
	all := finish()

	var getFails, postFails, lateFails int
	var firstFail string
	for _, o := range all {
		if o.err == "" {
			continue
		}
		if firstFail == "" {
			firstFail = o.method + ": " + o.err
		}
		if o.method == http.MethodGet {
			getFails++
		} else {
			postFails++
		}
		if o.start.After(ejectedAt) {
			lateFails++
		}
	}
	// A POST cannot be sent twice once it may have reached the canary: the
	// ones in flight at the kill, and those sent on kept-alive connections
	// to it before the proxy had seen enough failures to eject it, may
	// fail. Nothing sent after the ejection may fail, and no GET ever.
	if getFails > 0 || lateFails > 0 {
		t.Errorf("of %d requests: %d GETs failed (want 0), %d POSTs (before the ejection), %d started after the ejection (want 0); first: %s",
			len(all), getFails, postFails, lateFails, firstFail)
	}
	s, hh := p.Stats(), p.Health()
	if s.Canary.Errors < 5 || hh.Canary.Retries == 0 {
		t.Errorf("canary Errors=%d Retries=%d: its failures must show in its stats", s.Canary.Errors, hh.Canary.Retries)
	}
	if s.Stable.Errors != 0 || hh.Stable.Ejected || hh.Stable.Ejections != 0 {
		t.Errorf("stable Errors=%d health %+v, want untouched", s.Stable.Errors, hh.Stable)
	}
	t.Logf("%d requests (%d POSTs failed at the kill); canary errors %d, retried %d; stable %d requests",
		len(all), postFails, s.Canary.Errors, hh.Canary.Retries, s.Stable.Requests)
}

// TestGracefulShutdownDrainsInFlight shuts the server down while 20 slow
// requests, on both forwarders, are in flight: every one must complete.
func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	up := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "done")
	})
	p := newTestProxy(t, up.URL, up.URL, 50)
	srv := p.NewServer()
	ln, served := serveOn(t, srv)
	url := "http://" + ln.Addr().String() + "/"

	const n = 20
	var ok atomic.Int32
	errs := make(chan error, n)
	var wg sync.WaitGroup
	c := client()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, body := http.MethodGet, io.Reader(nil)
			if i%2 == 1 {
				method, body = http.MethodPost, strings.NewReader("x")
			}
			req, _ := http.NewRequest(method, url, body)
			res, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK || string(b) != "done" {
				errs <- errors.Join(err, errors.New(res.Status+" "+string(b)))
				return
			}
			ok.Add(1)
		}()
	}
	if !waitFor(5*time.Second, func() bool { s, c := p.InFlight(); return s+c == n }) {
		s, c := p.InFlight()
		t.Fatalf("only %d requests reached the proxy", s+c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("in-flight request: %v", err)
	}
	if ok.Load() != n {
		t.Errorf("%d of %d in-flight requests completed", ok.Load(), n)
	}
	if res, err := http.Get(url); err == nil {
		_ = res.Body.Close()
		t.Error("a new request was served after Shutdown")
	}
	p.CloseIdleConnections()
	if s, c := p.InFlight(); s+c != 0 {
		t.Errorf("%d requests still counted in flight", s+c)
	}
}
