package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRequestsEndTheRun(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	tests := map[string]Config{
		"open loop":   {Target: srv.URL, Rate: 500, Requests: 40, Duration: time.Minute},
		"closed loop": {Target: srv.URL, Workers: 4, Requests: 40, Duration: time.Minute},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			before := hits.Load()
			start := time.Now()
			st, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if st.Sent != 40 || st.OK != 40 || hits.Load()-before != 40 {
				t.Errorf("stats %+v, server saw %d; want exactly 40", st, hits.Load()-before)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("took %s for 40 requests; the run did not end with them", took)
			}
		})
	}
}

func TestWorkersAreClosedLoop(t *testing.T) {
	var (
		inFlight, most atomic.Int32
	)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	st, err := Run(context.Background(), Config{Target: srv.URL, Workers: 3, Duration: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if most.Load() != 3 {
		t.Errorf("at most %d requests in flight, want the 3 workers'", most.Load())
	}
	// 3 workers × 400 ms / 20 ms is at most 60; a busy machine sends fewer.
	if st.Sent < 6 || st.Sent > 63 || st.Skipped != 0 || st.OK != st.Sent {
		t.Errorf("stats %+v", st)
	}
}

func TestMethodHeadersAndBody(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	_, err := Run(context.Background(), Config{
		Target: srv.URL, Workers: 2, Requests: 5, Duration: time.Minute, Method: http.MethodPost,
		Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 5 {
		t.Fatalf("server saw %d requests, want 5", len(seen))
	}
	for _, s := range seen {
		if s != `POST application/json {"a":1}` {
			t.Errorf("request %q", s)
		}
	}
}

func TestNetworkReach(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	tests := map[string]struct {
		target string
		want   string // in LastError; "" means every request answered
	}{
		"a Service address":          {target: srv.URL},
		"link-local metadata":        {target: "http://169.254.169.254/latest/meta-data/", want: "link-local"},
		"IPv6 link-local":            {target: "http://[fe80::1]:80/", want: "link-local"},
		"the IPv6 metadata endpoint": {target: "http://[fd00:ec2::254]/", want: "instance-metadata"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st, err := Run(context.Background(), Config{Target: tc.target, Reach: ReachNetwork, Workers: 1, Requests: 3, Duration: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && st.OK != 3:
				t.Errorf("stats %+v, want 3 answered", st)
			case tc.want != "" && (st.Errors != st.Sent || !strings.Contains(st.LastError, tc.want)):
				t.Errorf("stats %+v, want every request refused (%s)", st, tc.want)
			}
		})
	}
}

func TestModeValidation(t *testing.T) {
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"rate and workers":      {cfg: Config{Target: "http://127.0.0.1:1/", Rate: 5, Workers: 2, Duration: time.Second}, want: "not both"},
		"negative requests":     {cfg: Config{Target: "http://127.0.0.1:1/", Rate: 5, Requests: -1, Duration: time.Second}, want: "requests"},
		"too many workers":      {cfg: Config{Target: "http://127.0.0.1:1/", Workers: MaxConcurrency + 1, Duration: time.Second}, want: "workers"},
		"an hour in a cluster":  {cfg: Config{Target: "http://api.shop/", Reach: ReachNetwork, Rate: 5, Duration: time.Hour}},
		"more than an hour":     {cfg: Config{Target: "http://api.shop/", Reach: ReachNetwork, Rate: 5, Duration: time.Hour + time.Second}, want: "duration"},
		"an hour on loopback":   {cfg: Config{Target: "http://127.0.0.1:1/", Rate: 5, Duration: time.Hour}, want: "duration"},
		"network needs a URL":   {cfg: Config{Target: "api.shop:80", Reach: ReachNetwork, Rate: 5, Duration: time.Second}, want: "absolute http"},
		"loopback still checks": {cfg: Config{Target: "http://api.shop/", Rate: 5, Duration: time.Second}, want: "only loopback"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New() = %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("New() = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
