package routeutil

// CanaryPercent is the percent of traffic the canary gets when stable
// and canary carry the given relative weights (both meshes treat weights
// as relative), rounded half up so what SetWeight wrote reads back as
// itself. Negative weights count as 0; no weight at all is 0 percent.
func CanaryPercent(stable, canary int64) int32 {
	ws, wc := max(stable, 0), max(canary, 0)
	if ws+wc == 0 {
		return 0
	}
	return int32((200*wc + ws + wc) / (2 * (ws + wc)))
}

// Number reads a JSON integer as the unstructured decoder leaves it;
// present is false for an absent value, ok is false for a value that is
// not a whole number.
func Number(v any) (n int64, present, ok bool) {
	switch x := v.(type) {
	case nil:
		return 0, false, true
	case int64:
		return x, true, true
	case int32:
		return int64(x), true, true
	case int:
		return int64(x), true, true
	case float64:
		return int64(x), true, x == float64(int64(x))
	}
	return 0, false, false
}
