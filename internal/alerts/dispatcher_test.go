package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func alertOf(sev Severity, reason string) Alert {
	return Alert{Release: "api", Severity: sev, Reason: reason, Message: reason, Phase: "Progressing", Time: time.Unix(1772360430, 0)}
}

func TestSeverityFilter(t *testing.T) {
	rcv := map[Severity]*receiver{}
	var cfgs []Config
	for _, sev := range []Severity{SeverityInfo, SeverityWarn, SeverityError} {
		rcv[sev] = newReceiver(t, 0, nil)
		cfgs = append(cfgs, mustConfig(t, string(sev), ProviderWebhook, rcv[sev].URL, sev, 5*time.Second))
	}
	var d Dispatcher
	for _, sev := range []Severity{SeverityInfo, SeverityWarn, SeverityError} {
		res := d.Send(context.Background(), cfgs, alertOf(sev, "sent-"+string(sev)))
		for _, r := range res {
			if !r.OK {
				t.Errorf("%s alert to %s: %+v", sev, r.Name, r)
			}
		}
	}
	want := map[Severity][]string{
		SeverityInfo:  {"sent-info", "sent-warn", "sent-error"},
		SeverityWarn:  {"sent-warn", "sent-error"},
		SeverityError: {"sent-error"},
	}
	for sev, r := range rcv {
		var got []string
		for _, req := range r.requests() {
			var a Alert
			mustUnmarshal(t, req.Body, &a)
			got = append(got, a.Reason)
		}
		if fmt.Sprint(got) != fmt.Sprint(want[sev]) {
			t.Errorf("receiver with minimum %s got %v, want %v", sev, got, want[sev])
		}
	}
}

func TestSendTimeout(t *testing.T) {
	hung := newReceiver(t, 0, make(chan struct{}))
	fast := newReceiver(t, 0, nil)
	cfgs := []Config{
		mustConfig(t, "hung", ProviderSlack, hung.URL, SeverityInfo, 300*time.Millisecond),
		mustConfig(t, "fast", ProviderDiscord, fast.URL, SeverityInfo, 5*time.Second),
	}
	var d Dispatcher
	start := time.Now()
	res := d.Send(context.Background(), cfgs, alertOf(SeverityError, "RolledBack"))
	took := time.Since(start)
	if took > 3*time.Second {
		t.Errorf("Send took %s with a 300ms timeout", took)
	}
	if len(res) != 2 {
		t.Fatalf("results %+v", res)
	}
	if res[0].Name != "hung" || res[0].OK || res[0].Status != 0 || res[0].Message != "no answer within 300ms" {
		t.Errorf("hung receiver: %+v, want a timeout", res[0])
	}
	if res[1].Name != "fast" || !res[1].OK {
		t.Errorf("fast receiver: %+v, want OK despite the hung one", res[1])
	}
}

func TestAnswers(t *testing.T) {
	other := newReceiver(t, 0, nil)
	redirect := httptest.NewServer(http.RedirectHandler(other.URL+"/elsewhere", http.StatusFound))
	t.Cleanup(redirect.Close)
	tests := map[string]struct {
		url        func(t *testing.T) string
		wantStatus int
		wantMsg    string
	}{
		"server error": {
			url:        func(t *testing.T) string { return newReceiver(t, http.StatusInternalServerError, nil).URL },
			wantStatus: 500, wantMsg: "HTTP 500: answer from the receiver",
		},
		"accepted": {
			url:        func(t *testing.T) string { return newReceiver(t, http.StatusNoContent, nil).URL },
			wantStatus: 204, wantMsg: "",
		},
		"redirect is not followed": {
			url:        func(*testing.T) string { return redirect.URL + "/hook" },
			wantStatus: 302, wantMsg: "HTTP 302: redirect not followed (a webhook URL must be the final one)",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var d Dispatcher
			res := d.Send(context.Background(), []Config{mustConfig(t, "r", ProviderWebhook, tc.url(t), SeverityInfo, 5*time.Second)}, alertOf(SeverityInfo, "x"))
			ok := tc.wantStatus/100 == 2
			if res[0].OK != ok || res[0].Status != tc.wantStatus || res[0].Message != tc.wantMsg {
				t.Errorf("result %+v, want status %d OK %v message %q", res[0], tc.wantStatus, ok, tc.wantMsg)
			}
		})
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the redirect's target got %d requests", n)
	}
}

// TestURLNeverShown checks that a receiver that cannot be reached is
// reported without its URL, in results and in logs.
func TestURLNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	url := "http://" + addr + "/services/T0/B0/XXXXSECRET"
	var logs bytes.Buffer
	d := Dispatcher{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	cfgs := []Config{mustConfig(t, "ops", ProviderSlack, url, SeverityInfo, 2*time.Second)}
	res := d.Send(context.Background(), cfgs, alertOf(SeverityError, "RolledBack"))
	if res[0].OK || !strings.Contains(res[0].Message, "connection refused") {
		t.Errorf("result %+v, want connection refused", res[0])
	}
	d.Notify(context.Background(), cfgs, alertOf(SeverityError, "RolledBack"))
	waitCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Wait(waitCtx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "alert=ops") {
		t.Errorf("the log does not name the receiver:\n%s", logs.String())
	}
	for _, s := range []string{res[0].Message, logs.String()} {
		if strings.Contains(s, "XXXXSECRET") {
			t.Errorf("the webhook's secret URL leaked: %s", s)
		}
	}
}

// TestNotify checks that Notify returns at once while a receiver hangs,
// and that Wait waits for what was queued.
func TestNotify(t *testing.T) {
	hold := make(chan struct{})
	rcv := newReceiver(t, 0, hold)
	var d Dispatcher
	cfgs := []Config{mustConfig(t, "slow", ProviderTeams, rcv.URL, SeverityInfo, 30*time.Second)}
	start := time.Now()
	for i := range 3 {
		d.Notify(context.Background(), cfgs, alertOf(SeverityInfo, fmt.Sprint("r", i)))
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Notify took %s with a hung receiver", took)
	}
	rcv.waitRequests(t, 1, 5*time.Second)
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := d.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with a held receiver: %v, want the deadline", err)
	}
	close(hold)
	long, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := d.Wait(long); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := len(rcv.requests()); n != 3 {
		t.Errorf("receiver got %d alerts, want 3", n)
	}
	// A cancelled caller's context does not cancel queued alerts.
	ctx, cancelCaller := context.WithCancel(context.Background())
	d.Notify(ctx, cfgs, alertOf(SeverityInfo, "after"))
	cancelCaller()
	if err := d.Wait(long); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := len(rcv.requests()); n != 4 {
		t.Errorf("receiver got %d alerts, want 4: the one queued by a cancelled caller is missing", n)
	}
}

// TestNotifyKeepsOrder sends a burst to one receiver and to a second one
// of another provider; each gets its alerts in the order they were queued.
func TestNotifyKeepsOrder(t *testing.T) {
	a := newReceiver(t, 0, nil)
	b := newReceiver(t, 0, nil)
	d := Dispatcher{Concurrency: 8}
	cfgs := []Config{
		mustConfig(t, "a", ProviderWebhook, a.URL, SeverityInfo, 5*time.Second),
		mustConfig(t, "b", ProviderWebhook, b.URL, SeverityInfo, 5*time.Second),
	}
	const n = 40
	for i := range n {
		d.Notify(context.Background(), cfgs, alertOf(SeverityInfo, fmt.Sprint(i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*receiver{"a": a, "b": b} {
		got := r.requests()
		if len(got) != n {
			t.Fatalf("%s got %d alerts, want %d", name, len(got), n)
		}
		for i, req := range got {
			var al Alert
			mustUnmarshal(t, req.Body, &al)
			if al.Reason != fmt.Sprint(i) {
				t.Fatalf("%s: alert %d is %q: out of order", name, i, al.Reason)
			}
		}
	}
}

// TestQueueBound checks that alerts for a receiver that is stuck are
// dropped, and logged, beyond QueueSize.
func TestQueueBound(t *testing.T) {
	hold := make(chan struct{})
	rcv := newReceiver(t, 0, hold)
	var logs syncBuffer
	d := Dispatcher{QueueSize: 2, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	cfgs := []Config{mustConfig(t, "stuck", ProviderWebhook, rcv.URL, SeverityInfo, 30*time.Second)}
	d.Notify(context.Background(), cfgs, alertOf(SeverityInfo, "first"))
	rcv.waitRequests(t, 1, 5*time.Second) // in flight, out of the queue
	for i := range 5 {
		d.Notify(context.Background(), cfgs, alertOf(SeverityInfo, fmt.Sprint("later", i)))
	}
	close(hold)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, req := range rcv.requests() {
		var a Alert
		mustUnmarshal(t, req.Body, &a)
		got = append(got, a.Reason)
	}
	if want := "[first later0 later1]"; fmt.Sprint(got) != want {
		t.Errorf("receiver got %v, want %s", got, want)
	}
	var dropped []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		mustUnmarshal(t, []byte(line), &rec)
		if strings.HasPrefix(rec["msg"].(string), "alert dropped") {
			dropped = append(dropped, rec["reason"].(string))
		}
	}
	if want := "[later2 later3 later4]"; fmt.Sprint(dropped) != want {
		t.Errorf("dropped %v, want %s", dropped, want)
	}
}

// TestConcurrencyBound checks that no more than Concurrency posts are in
// flight, over all receivers.
func TestConcurrencyBound(t *testing.T) {
	hold := make(chan struct{})
	var cfgs []Config
	var rcvs []*receiver
	for i := range 5 {
		r := newReceiver(t, 0, hold)
		rcvs = append(rcvs, r)
		cfgs = append(cfgs, mustConfig(t, fmt.Sprint("r", i), ProviderWebhook, r.URL, SeverityInfo, 30*time.Second))
	}
	d := Dispatcher{Concurrency: 2}
	var wg sync.WaitGroup
	var res []Result
	wg.Go(func() { res = d.Send(context.Background(), cfgs, alertOf(SeverityInfo, "x")) })
	total := func() int {
		n := 0
		for _, r := range rcvs {
			n += len(r.requests())
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for total() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a third post, were it allowed
	if n := total(); n != 2 {
		t.Errorf("%d posts in flight, want 2", n)
	}
	close(hold)
	wg.Wait()
	if total() != 5 || len(res) != 5 {
		t.Errorf("%d posts, %d results after release, want 5", total(), len(res))
	}
}

// syncBuffer is a bytes.Buffer safe for the dispatcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p) //nolint:wrapcheck // a buffer
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
