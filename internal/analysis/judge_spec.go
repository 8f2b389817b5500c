package analysis

import "sluice.dev/sluice/api/v1alpha1"

// JudgeConfigFor is the judge's configuration for spec.analysis.judge, with
// the latency histogram bounds (seconds, increasing) the shell's counters
// use: the proxy's locally, the mesh's on Kubernetes, nil when latency is
// not measured. Every shell builds its judge through it, so a setting in
// the spec means the same locally and on a cluster. A nil spec gives the
// defaults.
//
// The spec's zero values mean "default" (alpha, minRequests) and its
// margins, when set, may be zero to turn them off; JudgeConfig says "off"
// with a negative margin, since its zero means "default".
func JudgeConfigFor(spec *v1alpha1.JudgeSpec, latencyBounds []float64) JudgeConfig {
	cfg := JudgeConfig{LatencyBounds: latencyBounds}
	if spec == nil {
		return cfg
	}
	cfg.Alpha = spec.Alpha
	if spec.MinRequests > 0 {
		cfg.MinRequests = uint64(spec.MinRequests)
	}
	if m := spec.LatencyMargin; m != nil {
		cfg.LatencyRelativeMargin = offIfZero(*m)
	}
	if d := spec.LatencyMarginAbsolute; d != nil {
		cfg.LatencyAbsoluteMargin = offIfZero(d.Seconds())
	}
	return cfg
}

// offIfZero turns a spec's "0 is off" into JudgeConfig's "negative is off".
func offIfZero(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}
