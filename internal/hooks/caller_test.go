package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// receiver is a webhook endpoint on 127.0.0.1 that records what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	methods  []string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func newReceiver(t *testing.T, answer http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.inFlight.Add(1)
		defer r.inFlight.Add(-1)
		for {
			m := r.maxSeen.Load()
			if n <= m || r.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		r.methods = append(r.methods, req.Method)
		r.mu.Unlock()
		answer(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func hook(name string, typ v1alpha1.WebhookType, url string) v1alpha1.Webhook {
	return v1alpha1.Webhook{Name: name, Type: typ, URL: url}
}

func TestCallSendsThePayload(t *testing.T) {
	rcv := newReceiver(t, status(http.StatusOK, "load test started\n"))
	at := time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)
	c := &Caller{Clock: func() time.Time { return at }}
	h := hook("load", v1alpha1.WebhookRollout, rcv.URL+"/hooks/load?x=1")
	h.Metadata = map[string]string{"cmd": "hey -z 1m http://api-canary/", "team": "web"}
	p := Payload{
		Name: "api", Namespace: "shop", Phase: string(v1alpha1.PhaseProgressing), Type: v1alpha1.WebhookEvent,
		CanaryWeight: 20, StepIndex: 3, Revision: "7f9c", Message: "weight 20",
		Metadata: map[string]string{"team": "overridden", "from": "caller"},
	}

	res := c.Call(context.Background(), h, p)

	if !res.OK || res.Status != http.StatusOK || res.Message != "load test started" || res.Name != "load" || res.Type != v1alpha1.WebhookRollout {
		t.Fatalf("Call = %+v", res)
	}
	if rcv.calls() != 1 {
		t.Fatalf("receiver got %d calls, want 1", rcv.calls())
	}
	if rcv.methods[0] != http.MethodPost || rcv.headers[0].Get("Content-Type") != "application/json" {
		t.Errorf("got %s with Content-Type %q, want a JSON POST", rcv.methods[0], rcv.headers[0].Get("Content-Type"))
	}
	var raw map[string]any
	if err := json.Unmarshal(rcv.bodies[0], &raw); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, rcv.bodies[0])
	}
	want := map[string]any{
		"name": "api", "namespace": "shop", "phase": "Progressing", "type": "rollout",
		"canaryWeight": float64(20), "stepIndex": float64(3), "revision": "7f9c", "message": "weight 20",
		"metadata": map[string]any{"cmd": "hey -z 1m http://api-canary/", "team": "web", "from": "caller"},
		"time":     "2026-05-01T12:30:00Z",
	}
	for k, v := range want {
		if got, _ := json.Marshal(raw[k]); !bytes.Equal(got, mustJSON(t, v)) {
			t.Errorf("payload %s = %s, want %s", k, got, mustJSON(t, v))
		}
	}
	if len(raw) != len(want) {
		t.Errorf("payload has fields %v, want exactly %v", keys(raw), keys(want))
	}
	if p.Metadata["team"] != "overridden" {
		t.Error("Call changed the caller's metadata map")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestCallOutcomes(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	other := newReceiver(t, status(http.StatusOK, "should never be called"))
	redirects := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/final":
			_, _ = io.WriteString(w, "arrived")
		}
	})
	refused := closedAddr(t)
	tests := map[string]struct {
		answer  http.HandlerFunc // nil: use url
		url     string
		timeout time.Duration
		want    Result // Name, Type and Duration are not compared
		message string // part of Message
	}{
		"200":            {answer: status(200, "ok"), want: Result{OK: true, Status: 200}, message: "ok"},
		"204":            {answer: status(204, ""), want: Result{OK: true, Status: 204}},
		"500 with body":  {answer: status(500, "db down\n\tretry later"), want: Result{Status: 500}, message: "HTTP 500: db down retry later"},
		"404":            {answer: status(404, ""), want: Result{Status: 404}, message: "HTTP 404"},
		"slow":           {url: slow.URL, timeout: 200 * time.Millisecond, want: Result{}, message: "no answer within 200ms"},
		"refused":        {url: "http://" + refused, want: Result{}, message: "connection refused"},
		"not http":       {url: "file:///etc/passwd", want: Result{}, message: "not an http(s) URL"},
		"same host":      {url: redirects.URL + "/same", want: Result{OK: true, Status: 200}, message: "arrived"},
		"other host":     {url: redirects.URL + "/away", want: Result{Status: 307}, message: "redirect to http://127.0.0.1/<redacted> not followed"},
		"redirect loop":  {url: redirects.URL + "/loop", want: Result{Status: 302}, message: "not followed"},
		"huge 2xx body":  {answer: status(200, strings.Repeat("é", 100<<10)), want: Result{OK: true, Status: 200}, message: "éé…"},
		"text of a 503 ": {answer: status(503, `{"reason":"error budget spent"}`), want: Result{Status: 503}, message: `HTTP 503: {"reason":"error budget spent"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			url := tc.url
			if tc.answer != nil {
				url = newReceiver(t, tc.answer).URL
			}
			h := hook("h", v1alpha1.WebhookRollout, url)
			if tc.timeout > 0 {
				h.Timeout = &metav1.Duration{Duration: tc.timeout}
			}
			start := time.Now()
			got := (&Caller{}).Call(context.Background(), h, Payload{Name: "api"})
			if got.OK != tc.want.OK || got.Status != tc.want.Status || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("Call = %+v; want OK %v, status %d, message containing %q", got, tc.want.OK, tc.want.Status, tc.message)
			}
			if len(got.Message) > len("HTTP 500: ")+MaxExcerpt+len("…") {
				t.Errorf("message is %d bytes, want at most %d", len(got.Message), MaxExcerpt)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second || got.Duration > elapsed {
				t.Errorf("took %v (reported %v)", elapsed, got.Duration)
			}
		})
	}
	if other.calls() != 0 {
		t.Errorf("a redirect to another host was followed (%d calls)", other.calls())
	}
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// countingTransport counts the response body bytes the caller reads.
type countingTransport struct{ read atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestCallReadsAtMost64KiB(t *testing.T) {
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for range 256 { // 8 MiB, unless the caller hangs up
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	rt := &countingTransport{}
	res := (&Caller{HTTP: &http.Client{Transport: rt}}).Call(context.Background(), hook("big", v1alpha1.WebhookRollout, rcv.URL), Payload{})
	if !res.OK {
		t.Fatalf("Call = %+v", res)
	}
	if n := rt.read.Load(); n != MaxBody {
		t.Fatalf("read %d bytes of the answer, want exactly %d", n, MaxBody)
	}
}

func TestCallLogs(t *testing.T) {
	var logs bytes.Buffer
	rcv := newReceiver(t, status(http.StatusBadGateway, "nope"))
	c := &Caller{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	c.Call(context.Background(), hook("notify-chat", v1alpha1.WebhookEvent, rcv.URL), Payload{})
	for _, want := range []string{"level=WARN", "hook=notify-chat", "status=502", `message="HTTP 502: nope"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestTimeoutOf(t *testing.T) {
	tests := map[string]struct {
		timeout *metav1.Duration
		want    time.Duration
	}{
		"unset":    {want: 10 * time.Second},
		"zero":     {timeout: &metav1.Duration{}, want: 10 * time.Second},
		"negative": {timeout: &metav1.Duration{Duration: -time.Second}, want: 10 * time.Second},
		"set":      {timeout: &metav1.Duration{Duration: 90 * time.Second}, want: 90 * time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := timeoutOf(v1alpha1.Webhook{Timeout: tc.timeout}); got != tc.want {
				t.Fatalf("timeoutOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string
	}{
		"empty":          {in: "", want: ""},
		"lines joined":   {in: "  a\nb\r\n\tc  ", want: "a b c"},
		"invalid utf-8":  {in: "ok\xffok", want: "ok�ok"},
		"cut on a rune":  {in: "a" + strings.Repeat("é", MaxExcerpt), want: "a" + strings.Repeat("é", (MaxExcerpt-1)/2) + "…"},
		"exactly at max": {in: strings.Repeat("x", MaxExcerpt), want: strings.Repeat("x", MaxExcerpt)},
		"control bytes":  {in: "bad\x00\x1b[31mred", want: "bad [31mred"},
		"a password":     {in: "load test failed; db_password=hunter2 host=db", want: "load test failed; db_password=<redacted> host=db"},
		"a JSON token":   {in: `{"error":"denied","token": "abc.def"}`, want: `{"error":"denied","token": <redacted>}`},
		"an API key":     {in: "X-Api-Key: 12345 rejected", want: "X-Api-Key: <redacted> rejected"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := excerpt([]byte(tc.in)); got != tc.want {
				t.Fatalf("excerpt = %q, want %q", got, tc.want)
			}
		})
	}
}
