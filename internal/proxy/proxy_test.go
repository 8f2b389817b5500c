package proxy

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestWeightedRouting(t *testing.T) {
	tests := map[string]struct {
		weight     int32
		wantCanary int
		tolerance  int
	}{
		"all stable":       {weight: 0, wantCanary: 0},
		"all canary":       {weight: 100, wantCanary: 1000},
		"thirty percent":   {weight: 30, wantCanary: 300, tolerance: 2},
		"one percent":      {weight: 1, wantCanary: 10, tolerance: 2},
		"ninety-nine pct.": {weight: 99, wantCanary: 990, tolerance: 2},
	}
	st, ca := backend(t, "stable", nil), backend(t, "canary", nil)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestProxy(t, st.URL, ca.URL, tc.weight)
			fe := front(t, p)
			c := client()
			seen := map[string]int{}
			const n = 1000
			for range n {
				code, v := get(t, c, newReq(t, fe.URL))
				if code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				seen[v]++
			}
			if d := seen["canary"] - tc.wantCanary; d < -tc.tolerance || d > tc.tolerance {
				t.Errorf("canary got %d of %d, want %d ± %d", seen["canary"], n, tc.wantCanary, tc.tolerance)
			}
			if seen["stable"]+seen["canary"] != n {
				t.Errorf("version headers %v do not add up to %d", seen, n)
			}
			s := p.Stats()
			if s.Canary.Requests != uint64(seen["canary"]) || s.Stable.Requests != uint64(seen["stable"]) {
				t.Errorf("Stats requests stable=%d canary=%d, responses said %v", s.Stable.Requests, s.Canary.Requests, seen)
			}
		})
	}
}

func TestMatchRulesWinOverWeight(t *testing.T) {
	st, ca := backend(t, "stable", nil), backend(t, "canary", nil)
	p := New(Options{Logger: quietLogger()})
	err := p.SetRoute(Route{
		Stable: mustURL(t, st.URL), Canary: mustURL(t, ca.URL), CanaryWeight: 0,
		Match: []MatchRule{
			{Headers: map[string]StringMatch{"x-canary": {Exact: "always"}}},
			{Headers: map[string]StringMatch{"user-agent": {Prefix: "beta-tester/"}}},
			{Headers: map[string]StringMatch{"x-user-id": {Regex: "[0-9]+7"}}},
			{Cookies: map[string]StringMatch{"canary": {Exact: "yes"}}},
			{
				Headers: map[string]StringMatch{"x-region": {Exact: "eu"}},
				Cookies: map[string]StringMatch{"plan": {Regex: "pro|team"}},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fe := front(t, p)
	tests := map[string]struct {
		headers map[string]string
		want    string
	}{
		"no match":              {want: "stable"},
		"header exact":          {headers: map[string]string{"X-Canary": "always"}, want: "canary"},
		"header exact mismatch": {headers: map[string]string{"X-Canary": "never"}, want: "stable"},
		"header prefix":         {headers: map[string]string{"User-Agent": "beta-tester/1.2"}, want: "canary"},
		"header regex":          {headers: map[string]string{"X-User-Id": "1237"}, want: "canary"},
		"header regex partial":  {headers: map[string]string{"X-User-Id": "12377x"}, want: "stable"},
		"cookie exact":          {headers: map[string]string{"Cookie": "session=1; canary=yes"}, want: "canary"},
		"cookie mismatch":       {headers: map[string]string{"Cookie": "canary=no"}, want: "stable"},
		"both conditions":       {headers: map[string]string{"X-Region": "eu", "Cookie": "plan=team"}, want: "canary"},
		"only one condition":    {headers: map[string]string{"X-Region": "eu", "Cookie": "plan=free"}, want: "stable"},
	}
	c := client()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for range 5 {
				req := newReq(t, fe.URL)
				for k, v := range tc.headers {
					req.Header.Set(k, v)
				}
				if _, got := get(t, c, req); got != tc.want {
					t.Fatalf("served by %q, want %q", got, tc.want)
				}
			}
		})
	}

	// At weight 100 unmatched requests go to the canary too.
	rt := p.Route()
	rt.CanaryWeight = 100
	if err := p.SetRoute(rt); err != nil {
		t.Fatal(err)
	}
	if _, got := get(t, c, newReq(t, fe.URL)); got != "canary" {
		t.Errorf("unmatched request at weight 100 served by %q", got)
	}
}

// TestWeightChangesUnderLoad changes the weight 100 times while 8 workers
// send requests: no request may fail, and the counters must account for
// every request sent.
func TestWeightChangesUnderLoad(t *testing.T) {
	st, ca := backend(t, "stable", nil), backend(t, "canary", nil)
	p := newTestProxy(t, st.URL, ca.URL, 0)
	fe := front(t, p)
	c := client()

	var sent, failed atomic.Uint64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodGet, fe.URL+"/", nil)
				res, err := c.Do(req)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = res.Body.Read(make([]byte, 16))
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, res.Status)
				}
			}
		}()
	}
	weights := []int32{0, 10, 25, 50, 75, 100}
	rt := p.Route()
	for i := range 100 {
		rt.CanaryWeight = weights[i%len(weights)]
		if err := p.SetRoute(rt); err != nil {
			t.Error(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d requests failed during weight changes; first: %v", f, sent.Load(), firstErr.Load())
	}
	s := p.Stats()
	if got := s.Stable.Requests + s.Canary.Requests; got != sent.Load() {
		t.Errorf("counted %d requests (stable %d, canary %d), sent %d", got, s.Stable.Requests, s.Canary.Requests, sent.Load())
	}
	if s.Stable.Requests == 0 || s.Canary.Requests == 0 {
		t.Errorf("one version got nothing: stable %d, canary %d", s.Stable.Requests, s.Canary.Requests)
	}
	if s.Stable.Errors+s.Canary.Errors != 0 {
		t.Errorf("errors counted: stable %d, canary %d", s.Stable.Errors, s.Canary.Errors)
	}
	t.Logf("%d requests, stable %d, canary %d", sent.Load(), s.Stable.Requests, s.Canary.Requests)
}

func TestErrorsCountedForTheRightVersion(t *testing.T) {
	st := backend(t, "stable", nil)
	failing := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusServiceUnavailable)
	})
	tests := map[string]struct {
		canaryURL string
		wantCode  int
	}{
		"canary answers 503":       {canaryURL: failing.URL, wantCode: http.StatusServiceUnavailable},
		"canary refuses to accept": {canaryURL: closedURL(t), wantCode: http.StatusBadGateway},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// Without retries and ejection, every failure reaches the client
			// (retry_test.go covers what they change).
			p := newTestProxyWith(t, Options{DisableRetry: true, OutlierConsecutiveErrors: -1}, st.URL, tc.canaryURL, 50)
			fe := front(t, p)
			c := client()
			codes := map[string]map[int]int{"stable": {}, "canary": {}}
			for range 100 {
				code, v := get(t, c, newReq(t, fe.URL))
				codes[v][code]++
			}
			if len(codes["canary"]) != 1 || codes["canary"][tc.wantCode] == 0 {
				t.Errorf("canary statuses %v, want only %d", codes["canary"], tc.wantCode)
			}
			if len(codes["stable"]) != 1 || codes["stable"][http.StatusOK] == 0 {
				t.Errorf("stable statuses %v, want only 200", codes["stable"])
			}
			s := p.Stats()
			if s.Canary.Errors != uint64(codes["canary"][tc.wantCode]) || s.Canary.Requests != s.Canary.Errors {
				t.Errorf("canary Requests=%d Errors=%d, want both %d", s.Canary.Requests, s.Canary.Errors, codes["canary"][tc.wantCode])
			}
			if s.Stable.Errors != 0 || s.Stable.Requests != uint64(codes["stable"][http.StatusOK]) {
				t.Errorf("stable Requests=%d Errors=%d, want %d, 0", s.Stable.Requests, s.Stable.Errors, codes["stable"][http.StatusOK])
			}
		})
	}
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	st := backend(t, "stable", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	p := New(Options{Logger: quietLogger(), ResponseHeaderTimeout: 100 * time.Millisecond})
	if err := p.SetRoute(Route{Stable: mustURL(t, st.URL)}); err != nil {
		t.Fatal(err)
	}
	fe := front(t, p)
	code, v := get(t, client(), newReq(t, fe.URL))
	if code != http.StatusGatewayTimeout || v != "stable" {
		t.Errorf("got %d from %q, want 504 from stable", code, v)
	}
	if s := p.Stats().Stable; s.Errors != 1 || s.Requests != 1 {
		t.Errorf("stable Requests=%d Errors=%d, want 1, 1", s.Requests, s.Errors)
	}
}

func TestLatencyQuantiles(t *testing.T) {
	fast := backend(t, "stable", nil)
	slow := backend(t, "canary", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
	})
	p := newTestProxy(t, fast.URL, slow.URL, 50)
	fe := front(t, p)
	c := client()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				res, err := c.Get(fe.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_ = res.Body.Close()
			}
		}()
	}
	wg.Wait()
	s := p.Stats()
	tests := map[string]struct {
		v        VersionStats
		q        float64
		min, max float64
	}{
		"canary p50 near 50ms": {v: s.Canary, q: 0.5, min: 0.045, max: 0.080},
		"canary p99 below 1s":  {v: s.Canary, q: 0.99, min: 0.045, max: 1},
		"stable p50 fast":      {v: s.Stable, q: 0.5, min: 0, max: 0.020},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := tc.v.Quantile(tc.q)
			if !ok || got < tc.min || got > tc.max {
				t.Errorf("Quantile(%v) = %.4f s (ok=%v), want in [%v, %v]", tc.q, got, ok, tc.min, tc.max)
			}
		})
	}
	if math.Abs(s.Canary.Sum/float64(s.Canary.Requests)-0.05) > 0.03 {
		t.Errorf("canary mean latency %.4f s, want about 0.05", s.Canary.Sum/float64(s.Canary.Requests))
	}
}

func TestNoRouteAnswers503(t *testing.T) {
	p := New(Options{Logger: quietLogger()})
	fe := front(t, p)
	code, _ := get(t, client(), newReq(t, fe.URL))
	if code != http.StatusServiceUnavailable {
		t.Errorf("status %d before any route, want 503", code)
	}
	if s := p.Stats(); s.Stable.Requests+s.Canary.Requests != 0 {
		t.Errorf("unrouted request counted for a version: %+v", s)
	}
}

func TestVersionHeaderCanBeDisabled(t *testing.T) {
	st := backend(t, "stable", nil)
	p := New(Options{Logger: quietLogger(), DisableVersionHeader: true})
	if err := p.SetRoute(Route{Stable: mustURL(t, st.URL), Canary: mustURL(t, closedURL(t)), CanaryWeight: 50}); err != nil {
		t.Fatal(err)
	}
	fe := front(t, p)
	c := client()
	for i := range 4 {
		res, err := c.Get(fe.URL)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if got := res.Header.Values(VersionHeader); len(got) != 0 {
			t.Fatalf("request %d (status %d): %s = %v, want none", i, res.StatusCode, VersionHeader, got)
		}
	}
}

func ExampleProxy() {
	p := New(Options{Release: "checkout"})
	_ = p.SetRoute(Route{
		Stable:       &url.URL{Scheme: "http", Host: "127.0.0.1:9001"},
		Canary:       &url.URL{Scheme: "http", Host: "127.0.0.1:9002"},
		CanaryWeight: 10,
	})
	fmt.Println(p.Route().CanaryWeight)
	// Output: 10
}
