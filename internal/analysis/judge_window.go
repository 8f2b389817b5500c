package analysis

import "math"

// Pooling batches into windows. Every test compares the arms within a set
// of requests: under "the canary is no worse", given how many requests each
// arm served in the set and how many of them were events (errors, slow
// requests), which events were the canary's is a random draw. The smaller
// the set, the less it can say: a batch of 250 ms at 2 req/s holds half a
// request, and a batch that holds a canary error holds, most of the time,
// that request alone. All its events fell where all its traffic went, and
// the batch says nothing. Tested batch by batch, a canary at 10% of 2 req/s
// was compared with stable only in the rare batches that held requests of
// both, and the judge took 15 minutes to roll back a canary failing 5% of
// its requests.
//
// The judge therefore pools consecutive batches into windows and folds a
// window into its tests when it closes. What makes a window's test exact is
// that the proxy or the mesh routes each request at random with the
// canary's weight: under the null a request's outcome does not depend on
// the arm that served it, so given the window's requests, which of them
// were the canary's is a uniformly random subset of the size the canary
// served, whatever the common error rate and latency did meanwhile (a
// database hiccup, load that rises and falls). That holds for any rule that
// closes windows without looking at which arm served what: the number of
// requests, the number of events and the past may decide, the current
// window's split may not. The rules:
//
//   - an error window closes at the first batch that holds an error (of
//     either arm) once it holds at least windowSize requests, or at eight
//     times that without one. A canary error then counts against the
//     canary's share over the whole stretch since the last error, about
//     its weight, and a Fail comes in the very batch of the error that
//     decides it;
//   - a latency window closes once it holds windowSize timed requests:
//     nearly every request says something about latency;
//   - windowSize is WindowRequests divided by the canary's share (or
//     stable's, the smaller) over the windows folded so far, so a window
//     expects WindowRequests of each arm: 50 requests at 10%, 10 at 50%;
//   - until the canary has served its first request, stable's traffic is
//     folded alone: it places stable's latency quantiles but is no evidence
//     about the canary, and the canary's first window starts clear of the
//     lead-in at weight 0.
//
// What pooling assumes beyond a batch is that the weight stays the same
// within a window, or, where it changes, that the common error and latency
// distributions do not move at the same moment; windows are short at any
// traffic that matters (seconds at 100 req/s, about a minute at 2 req/s).
// A window still open when the release ends is never folded: its events
// weigh neither way.

// DefaultJudgeWindowRequests is how many requests of each arm a window is
// sized to hold.
const DefaultJudgeWindowRequests = 5

const (
	// errorWindowSpan is how many times windowSize an error window holds
	// at most without an event.
	errorWindowSpan = 8
	// minShare bounds the share windowSize is computed from.
	minShare = 0.001
)

// judgeWindow is an open window: what each arm served since the last fold.
// An error window counts requests and errors; a latency window holds the
// histograms, and its Requests count timed requests.
type judgeWindow struct {
	Stable ArmSample `json:"stable"`
	Canary ArmSample `json:"canary"`
}

func (w *judgeWindow) requests() uint64 { return w.Stable.Requests + w.Canary.Requests }
func (w *judgeWindow) events() uint64   { return w.Stable.Errors + w.Canary.Errors }

// addCounts pools one batch's requests and errors (capped at requests).
func (w *judgeWindow) addCounts(stable, canary ArmSample) {
	w.Stable.Requests += stable.Requests
	w.Stable.Errors += min(stable.Errors, stable.Requests)
	w.Canary.Requests += canary.Requests
	w.Canary.Errors += min(canary.Errors, canary.Requests)
}

// addBuckets pools one batch's histograms, both of length n.
func (w *judgeWindow) addBuckets(stable, canary []uint64, n int) {
	if len(w.Stable.Buckets) != n {
		w.Stable.Buckets, w.Canary.Buckets = make([]uint64, n), make([]uint64, n)
	}
	for i := range n {
		w.Stable.Buckets[i] += stable[i]
		w.Canary.Buckets[i] += canary[i]
		w.Stable.Requests += stable[i]
		w.Canary.Requests += canary[i]
	}
}

// Observe takes one batch: what each arm served since the last call. It is
// pooled into the open windows, and a window that closes is folded into
// the tests, after which a Fail can follow. Errors above Requests are
// capped; latency buckets that do not match the configured bounds are left
// out of the latency tests (and said so in the verdict) while the error
// test still uses the batch.
func (j *Judge) Observe(stable, canary ArmSample) {
	st := &j.st
	st.Batches++
	if canary.Requests > 0 && !st.CanaryStarted {
		// The lead-in ends: stable's traffic so far is folded alone, and
		// does not count in the share that sizes the windows.
		j.foldErrors()
		j.foldLatency()
		st.CanaryStarted = true
	}
	st.ErrorWindow.addCounts(stable, canary)
	if len(st.Latency) > 0 && (len(stable.Buckets) > 0 || len(canary.Buckets) > 0) {
		n := len(j.cfg.LatencyBounds) + 1
		if len(stable.Buckets) == n && len(canary.Buckets) == n {
			st.LatencyWindow.addBuckets(stable.Buckets, canary.Buckets, n)
		} else {
			st.SkippedLatency++
		}
	}
	size := j.windowSize()
	if w := &st.ErrorWindow; (w.events() > 0 && w.requests() >= size) || w.requests() >= errorWindowSpan*size {
		j.foldErrors()
	}
	if st.LatencyWindow.requests() >= size {
		j.foldLatency()
	}
	if st.Failed == nil {
		st.Failed = j.firstFailure()
	}
}

// windowSize is how many requests a window holds before it may close:
// WindowRequests over the smaller arm's share of the requests folded since
// the canary started (half and half before any).
func (j *Judge) windowSize() uint64 {
	st := &j.st
	share := (float64(st.ShareCanary) + 1) / (float64(st.ShareRequests) + 2)
	share = max(minShare, min(share, 1-share))
	return max(2*j.cfg.WindowRequests, uint64(math.Ceil(float64(j.cfg.WindowRequests)/share)))
}

// foldErrors folds the open error window into the error tests.
func (j *Judge) foldErrors() {
	st := &j.st
	w := st.ErrorWindow
	st.ErrorWindow = judgeWindow{}
	if w.requests() == 0 {
		return
	}
	if st.CanaryStarted {
		st.ShareCanary += w.Canary.Requests
		st.ShareRequests += w.requests()
	}
	st.Errors.observe(j.cfg.Ratios, j.cfg.RatioWeights, j.cfg.PassRatio, w.Canary.Requests, w.Stable.Requests, w.Canary.Errors, w.Stable.Errors)
	st.ErrorFloor.observe(j.cfg.ErrorRateSlack, w.Canary.Requests, w.Canary.Errors)
}

// foldLatency folds the open latency window into the latency tests.
func (j *Judge) foldLatency() {
	st := &j.st
	w := st.LatencyWindow
	st.LatencyWindow = judgeWindow{}
	if len(st.Latency) == 0 || w.requests() == 0 {
		return
	}
	j.observeLatency(w.Stable.Buckets, w.Canary.Buckets)
}
