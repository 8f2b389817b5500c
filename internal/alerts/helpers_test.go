package alerts

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// received is one request a receiver got.
type received struct {
	Path        string
	ContentType string
	Body        []byte
}

// receiver is a local HTTP server on 127.0.0.1 that records what it is
// sent and answers with status (200 unless set), after hold is closed when
// it is set.
type receiver struct {
	*httptest.Server
	status int
	hold   chan struct{}

	mu   sync.Mutex
	got  []received
	seen chan struct{} // one value per request, after it was recorded
}

func newReceiver(t *testing.T, status int, hold chan struct{}) *receiver {
	t.Helper()
	r := &receiver{status: status, hold: hold, seen: make(chan struct{}, 1024)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{Path: req.URL.Path, ContentType: req.Header.Get("Content-Type"), Body: body})
		r.mu.Unlock()
		r.seen <- struct{}{}
		if r.hold != nil {
			select {
			case <-r.hold:
			case <-req.Context().Done():
				return
			}
		}
		code := r.status
		if code == 0 {
			code = http.StatusOK
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answer from the receiver")
	}))
	// Close the hold before the server, so Close does not wait for held
	// handlers.
	t.Cleanup(r.Close)
	if hold != nil {
		t.Cleanup(func() {
			select {
			case <-hold:
			default:
				close(hold)
			}
		})
	}
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitRequests waits until the receiver has recorded n requests.
func (r *receiver) waitRequests(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for len(r.requests()) < n {
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatalf("receiver got %d requests within %s, want %d", len(r.requests()), timeout, n)
		}
	}
}

func mustConfig(t *testing.T, name string, p Provider, url string, sev Severity, timeout time.Duration) Config {
	t.Helper()
	c, err := NewConfig(name, string(p), url, string(sev), timeout)
	if err != nil {
		t.Fatalf("NewConfig(%s): %v", name, err)
	}
	return c
}
