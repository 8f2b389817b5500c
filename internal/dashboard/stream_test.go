package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/local"
	"sluice.dev/sluice/internal/release"
)

// event is one server-sent event.
type event struct{ name, data string }

// sse is a client of a live stream.
type sse struct {
	resp   *http.Response
	events chan event
	done   chan error
	cancel context.CancelFunc
}

func openStream(t *testing.T, url string) *sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req) //nolint:bodyclose // closed by s.close when the test ends
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sse{resp: resp, events: make(chan event, 64), done: make(chan error, 1), cancel: cancel}
	t.Cleanup(s.close)
	if resp.StatusCode != http.StatusOK {
		return s
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	go s.read()
	return s
}

func (s *sse) read() {
	r := bufio.NewReader(s.resp.Body)
	var ev event
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			s.done <- err
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				s.events <- ev
			}
			ev = event{}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func (s *sse) close() {
	s.cancel()
	_ = s.resp.Body.Close()
}

// next waits for the next event, within a bound.
func (s *sse) next(t *testing.T) event {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case err := <-s.done:
		t.Fatalf("stream ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return event{}
}

// ended waits for the server to end the stream.
func (s *sse) ended(t *testing.T) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-s.events:
		case err := <-s.done:
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("stream ended with %v, want the server to close it", err)
			}
			return
		case <-deadline:
			t.Fatal("the stream was not closed within 10s")
		}
	}
}

func point(sec int, weight int32) release.CheckPoint {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return release.CheckPoint{Time: base.Add(time.Duration(sec) * time.Second), Weight: weight}
}

func TestReleaseStreamPushesChanges(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 10, "", point(1, 10), point(2, 10))
	s, base := serve(t, local.NewClient(dir), Options{PollInterval: 20 * time.Millisecond})
	st := openStream(t, base+"/api/releases/web/events")

	ev := st.next(t)
	first := decode[ReleaseView](t, ev.data)
	if ev.name != "release" || first.Delta || len(first.Checks) != 2 || first.Release.Status.CanaryWeight != 10 {
		t.Fatalf("first event %s: delta %v, %d points, weight %d", ev.name, first.Delta, len(first.Checks), first.Release.Status.CanaryWeight)
	}

	// The runner moves on: the page gets the new weight and only the new point.
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 40, "", point(1, 10), point(2, 10), point(3, 40))
	upd := decode[ReleaseView](t, st.next(t).data)
	if !upd.Delta || len(upd.Checks) != 1 || upd.Checks[0].Weight != 40 || upd.Release.Status.CanaryWeight != 40 {
		t.Fatalf("update: delta %v, points %+v, weight %d", upd.Delta, upd.Checks, upd.Release.Status.CanaryWeight)
	}
	if upd.ChecksFrom == nil || !upd.ChecksFrom.Equal(point(1, 0).Time) {
		t.Fatalf("checksFrom %v", upd.ChecksFrom)
	}

	// Nothing changes: nothing is sent.
	select {
	case ev := <-st.events:
		t.Fatalf("an event without a change: %s %.80s", ev.name, ev.data)
	case <-time.After(200 * time.Millisecond):
	}

	// The release goes away: the stream says so.
	if err := os.Remove(local.StatePath(dir, "web")); err != nil {
		t.Fatal(err)
	}
	ev = st.next(t)
	if ev.name != "problem" || !strings.Contains(ev.data, "no such release") {
		t.Fatalf("after removal: %s %s", ev.name, ev.data)
	}

	// The browser leaves: the poller stops.
	st.close()
	waitFor(t, "the poller to stop", func() bool { return s.hub.watched() == 0 })
}

func TestStreamsShareOnePoller(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 10, "")
	s, base := serve(t, local.NewClient(dir), Options{PollInterval: 20 * time.Millisecond})
	a := openStream(t, base+"/api/releases/web/events")
	b := openStream(t, base+"/api/releases/web/events")
	l := openStream(t, base+"/api/events")
	a.next(t)
	b.next(t)
	if ev := l.next(t); ev.name != "list" || len(decode[ReleaseList](t, ev.data).Releases) != 1 {
		t.Fatalf("list event: %s %s", ev.name, ev.data)
	}
	if n := s.hub.watched(); n != 2 {
		t.Fatalf("%d pollers for one release and the list, want 2", n)
	}
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 20, "")
	for _, st := range []*sse{a, b} {
		if w := decode[ReleaseView](t, st.next(t).data).Release.Status.CanaryWeight; w != 20 {
			t.Fatalf("weight %d, want 20", w)
		}
	}
	if ev := l.next(t); decode[ReleaseList](t, ev.data).Releases[0].CanaryWeight != 20 {
		t.Fatalf("list after the change: %s", ev.data)
	}
	a.close()
	b.close()
	waitFor(t, "the release's poller to stop", func() bool { return s.hub.watched() == 1 })
}

func TestStreamsAreBounded(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 10, "")

	t.Run("in number", func(t *testing.T) {
		_, base := serve(t, local.NewClient(dir), Options{MaxStreams: 1, PollInterval: 20 * time.Millisecond})
		a := openStream(t, base+"/api/releases/web/events")
		a.next(t)
		b := openStream(t, base+"/api/releases/web/events")
		if b.resp.StatusCode != http.StatusServiceUnavailable || b.resp.Header.Get("Retry-After") == "" {
			t.Fatalf("a second stream over the limit: %d", b.resp.StatusCode)
		}
		a.close()
		waitFor(t, "the slot to be freed", func() bool {
			c := openStream(t, base+"/api/events")
			defer c.close()
			return c.resp.StatusCode == http.StatusOK
		})
	})
	t.Run("in time", func(t *testing.T) {
		_, base := serve(t, local.NewClient(dir), Options{StreamLifetime: 300 * time.Millisecond, PollInterval: 20 * time.Millisecond})
		st := openStream(t, base+"/api/releases/web/events")
		st.next(t)
		st.ended(t)
	})
	t.Run("by Close", func(t *testing.T) {
		s, base := serve(t, local.NewClient(dir), Options{PollInterval: 20 * time.Millisecond})
		st := openStream(t, base+"/api/releases/web/events")
		st.next(t)
		s.Close()
		st.ended(t)
	})
}

func TestServeShutsDownWithOpenStreams(t *testing.T) {
	dir := t.TempDir()
	saveRelease(t, dir, "web", v1alpha1.PhaseProgressing, 10, "")
	s, err := New(local.NewClient(dir), Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	st := openStream(t, "http://"+ln.Addr().String()+"/api/releases/web/events")
	st.next(t)
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of its context ending")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("shutting down took %s: the open stream held it", d)
	}
	st.ended(t)
}

func TestEventText(t *testing.T) {
	tests := map[string]struct {
		fr   *frame
		want string
	}{
		"a value": {
			fr:   &frame{val: map[string]int{"a": 1}},
			want: "event: thing\ndata: {\"a\":1}\n\n",
		},
		"an error": {
			fr:   &frame{err: "no such release"},
			want: "event: problem\ndata: {\"error\":\"no such release\"}\n\n",
		},
		"a value that cannot be encoded": {
			fr:   &frame{val: map[string]any{"f": func() {}}},
			want: "event: problem\ndata: {\"error\":\"encoding: json: unsupported type: func()\"}\n\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := eventText(tc.fr, func(v any) (string, any) { return "thing", v })
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			// One event never spans lines of data: the browser would join them.
			var v any
			data := strings.TrimSuffix(strings.SplitN(got, "data: ", 2)[1], "\n\n")
			if strings.Contains(data, "\n") || json.Unmarshal([]byte(data), &v) != nil {
				t.Fatalf("data is not one line of JSON: %q", data)
			}
		})
	}
}

// waitFor polls cond every 20ms for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited 10s for %s", what)
}
