package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"sluice.dev/sluice/internal/release"
)

// Live streams are server-sent events:
//
//	event: release   data: a ReleaseView (the first one whole; later ones
//	                 with Delta set carry only the new chart points)
//	event: list      data: a ReleaseList
//	event: problem   data: {"error": "..."} when the Source fails
//
// A comment line every heartbeat keeps proxies from closing an idle stream.

const (
	heartbeat  = 15 * time.Second
	writeLimit = 10 * time.Second
)

func (s *Server) handleReleaseEvents(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("name")
	if err := s.validKey(key); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var last *ReleaseView
	s.stream(w, r, "release/"+key,
		func(ctx context.Context) (any, error) { return s.get(ctx, key) },
		func(val any) (string, any) {
			v := val.(*ReleaseView)
			out := delta(last, v)
			last = v
			return "release", out
		})
}

func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, "list",
		func(ctx context.Context) (any, error) { return s.list(ctx) },
		func(val any) (string, any) { return "list", val })
}

// stream sends the frames of key's feed until the client goes, the server
// closes or the stream has lived its time.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, key string, fetch fetchFunc, encode func(any) (string, any)) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "too many live streams open")
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(text string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeLimit))
		if _, err := fmt.Fprint(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n\n") {
		return
	}

	f, notify, leave := s.hub.subscribe(key, fetch)
	defer leave()
	life := s.opts.Clock.NewTimer(s.opts.StreamLifetime)
	defer life.Stop()
	beat := s.opts.Clock.NewTicker(heartbeat)
	defer beat.Stop()
	var seq uint64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		case <-life.C():
			return
		case <-beat.C():
			if !send(": ping\n\n") {
				return
			}
		case <-notify:
			fr := s.hub.latest(f)
			if fr == nil || fr.seq == seq {
				continue
			}
			seq = fr.seq
			if !send(eventText(fr, encode)) {
				return
			}
		}
	}
}

// eventText renders one frame as an event.
func eventText(fr *frame, encode func(any) (string, any)) string {
	if fr.err != "" {
		b, _ := json.Marshal(apiError{Error: fr.err})
		return "event: problem\ndata: " + string(b) + "\n\n"
	}
	name, v := encode(fr.val)
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(apiError{Error: "encoding: " + err.Error()})
		name = "problem"
	}
	return "event: " + name + "\ndata: " + string(b) + "\n\n"
}

// delta trims next's chart points to those newer than what prev sent,
// when the watcher has prev's and nothing in between was lost; otherwise
// it returns next whole.
func delta(prev, next *ReleaseView) *ReleaseView {
	if prev == nil || len(prev.Checks) == 0 || len(next.Checks) == 0 {
		return next
	}
	sent := prev.Checks[len(prev.Checks)-1].Time
	pts := next.Checks
	// The oldest kept point must be one the watcher has (or older), else
	// points were dropped between two messages.
	if pts[0].Time.After(sent) || pts[len(pts)-1].Time.Before(sent) {
		return next
	}
	i := len(pts)
	for i > 0 && pts[i-1].Time.After(sent) {
		i--
	}
	out := *next
	out.Checks = append([]release.CheckPoint(nil), pts[i:]...)
	from := pts[0].Time
	out.Delta, out.ChecksFrom = true, &from
	return &out
}
