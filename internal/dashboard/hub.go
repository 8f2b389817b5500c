package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// The hub polls the Source once per watched key, however many browsers
// watch it, and tells each watcher when the answer changed. A key's poller
// runs only while someone watches.

// fetchTimeout bounds one question to the Source.
const fetchTimeout = 5 * time.Second

// frame is one answer of the Source: a value, or the error met.
type frame struct {
	seq uint64
	val any
	err string
	// data is val's JSON, kept to tell whether the next answer differs.
	data []byte
}

type fetchFunc func(ctx context.Context) (any, error)

type feed struct {
	subs   map[chan struct{}]struct{}
	last   *frame
	seq    uint64
	cancel context.CancelFunc
}

type hub struct {
	clock clock.WithTicker
	every time.Duration
	log   *slog.Logger

	mu    sync.Mutex
	feeds map[string]*feed
}

func newHub(c clock.WithTicker, every time.Duration, log *slog.Logger) *hub {
	return &hub{clock: c, every: every, log: log, feeds: map[string]*feed{}}
}

// subscribe watches key, starting its poller if it is the first watcher.
// notify receives a value whenever a new frame is there (it holds at most
// one: a slow watcher skips to the latest frame); leave must be called.
func (h *hub) subscribe(key string, fetch fetchFunc) (f *feed, notify chan struct{}, leave func()) {
	notify = make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	f = h.feeds[key]
	if f == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f = &feed{subs: map[chan struct{}]struct{}{}, cancel: cancel}
		h.feeds[key] = f
		go h.poll(ctx, f, fetch)
	}
	f.subs[notify] = struct{}{}
	if f.last != nil {
		notify <- struct{}{}
	}
	leave = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(f.subs, notify)
		if len(f.subs) == 0 && h.feeds[key] == f {
			f.cancel()
			delete(h.feeds, key)
		}
	}
	return f, notify, leave
}

// latest is the feed's newest frame, or nil before the first answer.
func (h *hub) latest(f *feed) *frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	return f.last
}

// watched is the number of keys being polled, for tests.
func (h *hub) watched() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.feeds)
}

func (h *hub) poll(ctx context.Context, f *feed, fetch fetchFunc) {
	t := h.clock.NewTicker(h.every)
	defer t.Stop()
	for {
		fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		val, err := fetch(fctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		h.publish(f, val, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// publish keeps an answer that differs from the last one and wakes the
// watchers.
func (h *hub) publish(f *feed, val any, err error) {
	fr := &frame{val: val}
	if err != nil {
		fr.val, fr.err = nil, err.Error()
	} else if b, mErr := json.Marshal(val); mErr != nil {
		fr.val, fr.err = nil, "encoding: "+mErr.Error()
	} else {
		fr.data = b
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.last != nil && f.last.err == fr.err && bytes.Equal(f.last.data, fr.data) {
		return
	}
	f.seq++
	fr.seq = f.seq
	f.last = fr
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
