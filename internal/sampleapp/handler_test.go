package sampleapp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fixed returns a rnd that always answers v.
func fixed(v float64) func() float64 { return func() float64 { return v } }

// reply is what a test needs of an answer.
type reply struct {
	status int
	header http.Header
}

func get(t *testing.T, url string) (reply, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header}, string(b)
}

func TestHandlerAnswers(t *testing.T) {
	tests := map[string]struct {
		cfg        Config
		rnd        float64
		path       string
		wantStatus int
		wantBody   string
	}{
		"root healthy": {
			cfg: Config{Version: "v1"}, rnd: 0.1, path: "/",
			wantStatus: 200, wantBody: `{"version":"v1","status":200}`,
		},
		"root below error rate fails": {
			cfg: Config{Version: "v2", ErrorRate: 0.5}, rnd: 0.4, path: "/",
			wantStatus: 500, wantBody: `{"version":"v2","status":500,"error":"injected failure"}`,
		},
		"root above error rate succeeds": {
			cfg: Config{Version: "v2", ErrorRate: 0.5}, rnd: 0.6, path: "/",
			wantStatus: 200, wantBody: `{"version":"v2","status":200}`,
		},
		"any other path is the app": {
			cfg: Config{Version: "v2", ErrorRate: 1}, rnd: 0.99, path: "/api/items",
			wantStatus: 500, wantBody: `{"version":"v2","status":500,"error":"injected failure"}`,
		},
		"healthz ignores faults": {
			cfg: Config{Version: "v2", ErrorRate: 1}, rnd: 0, path: "/healthz",
			wantStatus: 200, wantBody: "ok",
		},
		"version": {
			cfg: Config{Version: "v7", ErrorRate: 1}, rnd: 0, path: "/version",
			wantStatus: 200, wantBody: "v7",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(Handler(tc.cfg, fixed(tc.rnd)))
			defer srv.Close()
			resp, body := get(t, srv.URL+tc.path)
			if resp.status != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.status, tc.wantStatus)
			}
			if got := strings.TrimSpace(body); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if got := resp.header.Get(VersionHeader); got != tc.cfg.Version {
				t.Errorf("%s = %q, want %q", VersionHeader, got, tc.cfg.Version)
			}
		})
	}
}

func TestHandlerErrorRateWithDefaultRandomness(t *testing.T) {
	tests := map[string]struct {
		rate float64
		want int
	}{
		"never fails":  {rate: 0, want: 200},
		"always fails": {rate: 1, want: 500},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(Handler(Config{Version: "v1", ErrorRate: tc.rate}, nil))
			defer srv.Close()
			for range 20 {
				resp, body := get(t, srv.URL+"/")
				if resp.status != tc.want {
					t.Fatalf("status = %d, want %d", resp.status, tc.want)
				}
				var a answer
				if err := json.Unmarshal([]byte(body), &a); err != nil || a.Status != tc.want {
					t.Fatalf("body %q: %+v, %v", body, a, err)
				}
			}
		})
	}
}

func TestHandlerLatencyAndJitter(t *testing.T) {
	// rnd 0.5 gives half the jitter: 40ms + 20ms.
	srv := httptest.NewServer(Handler(Config{Version: "v1", Latency: 40 * time.Millisecond, Jitter: 40 * time.Millisecond}, fixed(0.5)))
	defer srv.Close()
	start := time.Now()
	get(t, srv.URL+"/")
	if took := time.Since(start); took < 60*time.Millisecond || took > 2*time.Second {
		t.Errorf("request took %v, want about 60ms", took)
	}
	start = time.Now()
	get(t, srv.URL+"/healthz")
	if took := time.Since(start); took > 40*time.Millisecond {
		t.Errorf("healthz took %v; it must not be delayed", took)
	}
}

func TestHandlerStopsWaitingWhenClientLeaves(t *testing.T) {
	done := make(chan time.Duration, 1)
	h := Handler(Config{Version: "v1", Latency: time.Minute}, fixed(0))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		done <- time.Since(start)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("request succeeded with status %d, want a timeout", resp.StatusCode)
	}
	select {
	case took := <-done:
		if took > 5*time.Second {
			t.Errorf("handler took %v after the client left", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still sleeping 5s after the client left")
	}
}
