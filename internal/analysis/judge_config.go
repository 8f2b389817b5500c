package analysis

import (
	"errors"
	"fmt"
	"math"
)

// Defaults of JudgeConfig; a zero field takes these.
const (
	// DefaultJudgeAlpha bounds the probability of rolling back a canary that
	// is no worse than stable, over the whole release.
	DefaultJudgeAlpha = 0.01
	// DefaultJudgePassAlpha bounds the probability of passing a canary that
	// is worse by the tolerated margin.
	DefaultJudgePassAlpha = 0.05
	// DefaultJudgeMinRequests is the fewest canary (and stable) requests a
	// pass needs, whatever the evidence.
	DefaultJudgeMinRequests = 500
	// DefaultJudgePassRatio is the margin: a canary whose rates are at most
	// this many times stable's is "not meaningfully worse".
	DefaultJudgePassRatio = 2
	// DefaultJudgeErrorRateSlack is an error rate low enough not to matter: a
	// canary confidently below it satisfies the error test for a pass even
	// when errors are too rare to compare the arms.
	DefaultJudgeErrorRateSlack = 0.005
	// DefaultJudgeErrorAlphaShare is the share of Alpha spent on the error
	// test when latency is measured too; the latency test has the rest.
	DefaultJudgeErrorAlphaShare = 0.5
)

// DefaultJudgeRatios are the alternatives the error test mixes over: the
// canary's error rate being r times stable's. They span regressions that
// matter, from 1.5× to 1000×; each costs the log of its prior weight
// (DefaultJudgeRatioWeights). The largest stand for "the canary fails and
// stable hardly ever does": at low traffic a few canary errors with no
// stable error between them are all the data there is.
var DefaultJudgeRatios = []float64{1.5, 2, 3, 5, 8, 13, 21, 50, 200, 1000}

// DefaultJudgeRatioWeights are the prior weights of DefaultJudgeRatios:
// half on the moderate regressions (1.5× to 21×, which enough traffic
// catches within a minute or two whatever their weight), half on the
// severe ones (50× and up), which low traffic has only a handful of errors
// to tell by. That tilt lets three canary errors with no stable error
// between them roll back a canary at 10% weight (ln(1/0.1) each, against
// the error test's ln(200)) even when the windows' shares run a little
// above the weight; uniform weights needed four as often as not.
var DefaultJudgeRatioWeights = []float64{1, 1, 1, 1, 1, 1, 1, 7.0 / 3, 7.0 / 3, 7.0 / 3}

// normalized scales positive weights to sum to one (others are left for
// validate to refuse).
func normalized(w []float64) []float64 {
	var s float64
	for _, x := range w {
		s += x
	}
	out := make([]float64, len(w))
	for i, x := range w {
		out[i] = x
		if s > 0 && !math.IsInf(s, 0) {
			out[i] = x / s
		}
	}
	return out
}

// DefaultJudgeLatencyQuantiles are stable's quantiles whose nearest bucket
// bounds the latency pass tests count against: a pass needs evidence that the
// canary's share of requests slower than each is below PassRatio times
// stable's, p90 for the body and p99 for the tail.
var DefaultJudgeLatencyQuantiles = []float64{0.9, 0.99}

// JudgeConfig sets the statistical judge. The zero value of each field means
// its default, so JudgeConfig{LatencyBounds: b} is a complete configuration.
type JudgeConfig struct {
	// Alpha bounds the false-rollback probability: the chance that a canary
	// no worse than stable is ever failed, however long the judge watches.
	Alpha float64 `json:"alpha,omitempty"`
	// PassAlpha bounds the chance of passing a canary that is worse than
	// stable by the margin (PassRatio, ErrorRateSlack).
	PassAlpha float64 `json:"passAlpha,omitempty"`
	// MinRequests is the fewest requests each arm must have served before
	// the judge may pass; a fail needs no minimum.
	MinRequests uint64 `json:"minRequests,omitempty"`
	// WindowRequests is how many requests of each arm a window of pooled
	// batches is sized to hold before it is folded into the tests
	// (judge_window.go): at low traffic a single batch rarely holds both.
	WindowRequests uint64 `json:"windowRequests,omitempty"`
	// LatencyBounds are the upper bounds, in seconds and increasing, of the
	// latency histogram buckets in ArmSample (the last bucket, +Inf, is
	// implied). Empty turns the latency tests off.
	LatencyBounds []float64 `json:"latencyBounds,omitempty"`
	// LatencyQuantiles are the stable quantiles the latency pass tests track.
	LatencyQuantiles []float64 `json:"latencyQuantiles,omitempty"`
	// Ratios are the error test's alternatives, each > 1.
	Ratios []float64 `json:"ratios,omitempty"`
	// RatioWeights are the prior weights of Ratios, positive, one each;
	// they are scaled to sum to one. Empty means DefaultJudgeRatioWeights
	// with the default Ratios, equal weights with others.
	RatioWeights []float64 `json:"ratioWeights,omitempty"`
	// PassRatio is the tolerated margin, > 1: a pass needs evidence that the
	// canary's rates are below PassRatio times stable's.
	PassRatio float64 `json:"passRatio,omitempty"`
	// ErrorRateSlack is an error rate that does not matter (see the default).
	ErrorRateSlack float64 `json:"errorRateSlack,omitempty"`
	// ErrorAlphaShare is the part of Alpha given to the error test when
	// latency is measured; the latency test has the rest.
	ErrorAlphaShare float64 `json:"errorAlphaShare,omitempty"`
	// LatencyRelativeMargin is the slowdown, as a fraction of stable's
	// latency, that the latency test tolerates: a healthy canary in another
	// process is never exactly as fast, and a difference nobody notices must
	// not roll it back (see judge_margin.go). Negative turns it off.
	LatencyRelativeMargin float64 `json:"latencyRelativeMargin,omitempty"`
	// LatencyAbsoluteMargin is the slowdown in seconds the latency test
	// tolerates, for fast services where a relative margin is a few
	// microseconds. The larger of the two margins applies. Negative turns it
	// off.
	LatencyAbsoluteMargin float64 `json:"latencyAbsoluteMargin,omitempty"`
}

// withDefaults fills the zero fields.
func (c JudgeConfig) withDefaults() JudgeConfig {
	if c.Alpha == 0 {
		c.Alpha = DefaultJudgeAlpha
	}
	if c.PassAlpha == 0 {
		c.PassAlpha = DefaultJudgePassAlpha
	}
	if c.MinRequests == 0 {
		c.MinRequests = DefaultJudgeMinRequests
	}
	if c.WindowRequests == 0 {
		c.WindowRequests = DefaultJudgeWindowRequests
	}
	if len(c.Ratios) == 0 {
		c.Ratios = append([]float64(nil), DefaultJudgeRatios...)
		if len(c.RatioWeights) == 0 {
			c.RatioWeights = append([]float64(nil), DefaultJudgeRatioWeights...)
		}
	}
	if len(c.RatioWeights) == 0 {
		c.RatioWeights = uniform(len(c.Ratios))
	}
	c.RatioWeights = normalized(c.RatioWeights)
	if c.PassRatio == 0 {
		c.PassRatio = DefaultJudgePassRatio
	}
	if c.ErrorRateSlack == 0 {
		c.ErrorRateSlack = DefaultJudgeErrorRateSlack
	}
	if len(c.LatencyBounds) > 0 && len(c.LatencyQuantiles) == 0 {
		c.LatencyQuantiles = append([]float64(nil), DefaultJudgeLatencyQuantiles...)
	}
	if len(c.LatencyBounds) == 0 {
		c.LatencyQuantiles = nil
	}
	if c.ErrorAlphaShare == 0 {
		c.ErrorAlphaShare = DefaultJudgeErrorAlphaShare
	}
	if c.LatencyRelativeMargin == 0 {
		c.LatencyRelativeMargin = DefaultJudgeLatencyRelativeMargin
	}
	if c.LatencyAbsoluteMargin == 0 {
		c.LatencyAbsoluteMargin = DefaultJudgeLatencyAbsoluteMargin
	}
	return c
}

// validate reports every problem of a defaulted configuration at once.
func (c JudgeConfig) validate() error {
	var errs []error
	open01 := func(name string, v float64) {
		if !(v > 0 && v < 1) {
			errs = append(errs, fmt.Errorf("%s must be in (0, 1), got %v", name, v))
		}
	}
	open01("alpha", c.Alpha)
	open01("passAlpha", c.PassAlpha)
	open01("errorRateSlack", c.ErrorRateSlack)
	open01("errorAlphaShare", c.ErrorAlphaShare)
	if !(c.PassRatio > 1) || math.IsInf(c.PassRatio, 0) {
		errs = append(errs, fmt.Errorf("passRatio must be a finite number > 1, got %v", c.PassRatio))
	}
	for _, r := range c.Ratios {
		if !(r > 1) || math.IsInf(r, 0) {
			errs = append(errs, fmt.Errorf("ratios must be finite numbers > 1, got %v", r))
			break
		}
	}
	if len(c.RatioWeights) != len(c.Ratios) {
		errs = append(errs, fmt.Errorf("ratioWeights must have one weight per ratio: %d weights for %d ratios", len(c.RatioWeights), len(c.Ratios)))
	}
	for _, w := range c.RatioWeights {
		if !(w > 0) || math.IsInf(w, 0) {
			errs = append(errs, fmt.Errorf("ratioWeights must be positive and finite, got %v", w))
			break
		}
	}
	for i, b := range c.LatencyBounds {
		if !(b > 0) || math.IsInf(b, 0) || (i > 0 && !(b > c.LatencyBounds[i-1])) {
			errs = append(errs, fmt.Errorf("latencyBounds must be positive, finite and increasing, got %v at index %d", b, i))
			break
		}
	}
	if !validMargin(c.LatencyRelativeMargin) || !validMargin(c.LatencyAbsoluteMargin) {
		errs = append(errs, fmt.Errorf("latency margins must be finite, got %v and %v", c.LatencyRelativeMargin, c.LatencyAbsoluteMargin))
	}
	for _, q := range c.LatencyQuantiles {
		if !(q > 0 && q < 1) {
			errs = append(errs, fmt.Errorf("latencyQuantiles must be in (0, 1), got %v", q))
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid judge config: %w", err)
	}
	return nil
}

// errorAlpha is the error test's share of Alpha.
func (c JudgeConfig) errorAlpha() float64 {
	if len(c.LatencyQuantiles) == 0 {
		return c.Alpha
	}
	return c.Alpha * c.ErrorAlphaShare
}

// latencyAlpha is the latency test's share of Alpha.
func (c JudgeConfig) latencyAlpha() float64 {
	if len(c.LatencyQuantiles) == 0 {
		return 0
	}
	return c.Alpha * (1 - c.ErrorAlphaShare)
}
