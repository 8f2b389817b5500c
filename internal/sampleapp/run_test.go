package sampleapp

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what Run writes from another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func TestRunServesUntilCancelled(t *testing.T) {
	t.Setenv("VERSION", "v9")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- Run(ctx, []string{"--listen", "127.0.0.1:0"}, out) }()

	var base string
	deadline := time.Now().Add(5 * time.Second)
	for base == "" && time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("Run returned early: %v (output %q)", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		t.Fatalf("no listening line within 5s: %q", out.String())
	}

	resp, body := get(t, base+"/version")
	if resp.status != 200 || strings.TrimSpace(body) != "v9" {
		t.Fatalf("/version = %d %q, want 200 v9", resp.status, body)
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run() = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel")
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("output %q lacks the stop line", out.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	err := Run(context.Background(), []string{"--error-rate", "3"}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "error rate") {
		t.Fatalf("Run() = %v, want an error about the error rate", err)
	}
}

func TestRunHelpIsNotAnError(t *testing.T) {
	out := &syncBuffer{}
	if err := Run(context.Background(), []string{"-h"}, out); err != nil {
		t.Fatalf("Run(-h) = %v, want nil", err)
	}
	if !strings.Contains(out.String(), "-error-rate") {
		t.Errorf("usage %q does not list the flags", out.String())
	}
}
