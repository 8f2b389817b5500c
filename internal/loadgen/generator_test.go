package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRateIsRespected(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()

	start := time.Now()
	st, err := Run(context.Background(), Config{Target: srv.URL, Rate: 100, Duration: time.Second})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// 100 requests are due in [0, 1s); allow for a busy machine.
	if st.Sent < 85 || st.Sent > 100 {
		t.Errorf("sent %d requests in 1s at 100/s, want 85..100", st.Sent)
	}
	if st.OK != st.Sent || hits.Load() != st.Sent {
		t.Errorf("ok %d, server saw %d, sent %d; want all equal", st.OK, hits.Load(), st.Sent)
	}
	if st.Errors+st.Non2xx+st.Canceled+st.Skipped+st.InFlight != 0 {
		t.Errorf("unexpected failures: %+v", st)
	}
	if took < 950*time.Millisecond || took > 3*time.Second {
		t.Errorf("run took %v, want about 1s", took)
	}
	if st.Elapsed < 950*time.Millisecond || st.Elapsed > took {
		t.Errorf("Elapsed = %v, run took %v", st.Elapsed, took)
	}
}

func TestStatsByVersionAndHeaders(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Canary") != "always" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch n.Add(1) % 3 {
		case 0:
			w.Header().Set("X-Sluice-Version", "canary")
			w.WriteHeader(http.StatusInternalServerError)
		case 1:
			w.Header().Set("X-Sluice-Version", "stable")
		default:
			// no version header
		}
	}))
	defer srv.Close()

	st, err := Run(context.Background(), Config{
		Target: srv.URL + "/", Rate: 200, Duration: 300 * time.Millisecond,
		Headers: http.Header{"X-Canary": {"always"}},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Sent < 30 {
		t.Fatalf("sent only %d", st.Sent)
	}
	c, s := st.ByVersion["canary"], st.ByVersion["stable"]
	if c.OK != 0 || c.Non2xx == 0 || s.Non2xx != 0 || s.OK == 0 {
		t.Errorf("ByVersion = %+v, want canary all 500s and stable all 200s", st.ByVersion)
	}
	if len(st.ByVersion) != 2 {
		t.Errorf("ByVersion has %d keys, want 2 (answers without the header are not keyed)", len(st.ByVersion))
	}
	if st.Non2xx != c.Non2xx || st.OK <= s.OK {
		t.Errorf("totals %+v do not add up with %+v", st, st.ByVersion)
	}
}

func TestStopsOnContextCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	g, err := New(Config{Target: srv.URL, Rate: 50, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := g.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if live := g.Stats(); live.Sent == 0 || live.Elapsed <= 0 {
		t.Errorf("live stats after 200ms: %+v", live)
	}
	cancel()
	select {
	case <-g.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("still running 2s after cancel")
	}
	if !errors.Is(g.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", g.Err())
	}
	final := g.Stats()
	time.Sleep(100 * time.Millisecond)
	if later := g.Stats(); later.Sent != final.Sent || later.Elapsed != final.Elapsed {
		t.Errorf("stats moved after the end: %+v then %+v", final, later)
	}
	if final.Sent > 30 {
		t.Errorf("sent %d in about 200ms at 50/s", final.Sent)
	}
}

func TestStopCancelsRequestsInFlight(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	g, err := New(Config{Target: srv.URL, Rate: 100, Duration: time.Minute, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	live := g.Stats()
	if live.InFlight != 3 || live.Skipped == 0 {
		t.Errorf("with a stuck server: %+v, want 3 in flight and some skipped", live)
	}
	start := time.Now()
	g.Stop()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Stop took %v", took)
	}
	g.Stop() // idempotent
	st := g.Stats()
	if st.Canceled != 3 || st.Errors != 0 || st.InFlight != 0 || st.Sent != 3 {
		t.Errorf("after Stop: %+v, want 3 sent, 3 canceled, no errors", st)
	}
	if g.Err() != nil {
		t.Errorf("Err() = %v after Stop, want nil", g.Err())
	}
	if err := g.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
}

func TestStopBeforeStart(t *testing.T) {
	g, err := New(Config{Target: "http://127.0.0.1:1/", Rate: 1, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g.Stop()
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed after Stop before Start")
	}
	if err := g.Start(context.Background()); err == nil {
		t.Error("Start after Stop succeeded")
	}
}

func TestTransportErrorsAreCounted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	target := srv.URL
	srv.Close() // nothing listens there any more
	st, err := Run(context.Background(), Config{Target: target, Rate: 50, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st.Errors == 0 || st.Errors != st.Sent || !strings.Contains(st.LastError, "refused") {
		t.Errorf("stats %+v, want every request a connection-refused error", st)
	}
}

func TestRedirectsLeavingLoopbackAreRefused(t *testing.T) {
	var followed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/local" {
			followed.Add(1)
			return
		}
		if r.URL.Query().Get("to") == "local" {
			http.Redirect(w, r, "/local", http.StatusFound)
			return
		}
		http.Redirect(w, r, "http://192.0.2.1/elsewhere", http.StatusFound)
	}))
	defer srv.Close()

	tests := map[string]struct {
		client *http.Client
	}{
		"default client":  {},
		"caller's client": {client: &http.Client{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st, err := Run(context.Background(), Config{Target: srv.URL + "/", Rate: 20, Duration: 150 * time.Millisecond, Client: tc.client})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if st.Sent == 0 || st.Errors != st.Sent || !strings.Contains(st.LastError, "non-loopback") {
				t.Errorf("stats %+v, want every redirect refused", st)
			}
			before := followed.Load()
			st, err = Run(context.Background(), Config{Target: srv.URL + "/?to=local", Rate: 20, Duration: 150 * time.Millisecond, Client: tc.client})
			if err != nil || st.OK != st.Sent || followed.Load()-before != st.Sent {
				t.Errorf("local redirects: %+v, %v; want all followed", st, err)
			}
		})
	}
}
