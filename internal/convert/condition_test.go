package convert

import (
	"strings"
	"testing"
)

func TestRangeOf(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		expr    string
		success bool
		lo, hi  *float64
		strict  bool
		err     string
	}{
		{expr: "result[0] >= 0.95", success: true, lo: f(0.95)},
		{expr: "result >= 0.95", success: true, lo: f(0.95)},
		{expr: "asFloat(result[0]) <= 500", success: true, hi: f(500)},
		{expr: "result[0] > 0.9", success: true, lo: f(0.9), strict: true},
		{expr: "0.9 <= result[0]", success: true, lo: f(0.9)},
		{expr: "result[0] >= 0 && result[0] <= 100", success: true, lo: f(0), hi: f(100)},
		{expr: "(result[0] >= 1) && (result[0] < 5)", success: true, lo: f(1), hi: f(5), strict: true},
		{expr: "len(result) == 0 || result[0] >= 0.95", success: true, lo: f(0.95)},
		{expr: "isNaN(result[0]) || result[0] >= 0.95", success: true, lo: f(0.95)},
		{expr: "result[0] < 0.95", success: false, lo: f(0.95)},
		{expr: "result[0] > 500", success: false, hi: f(500)},
		{expr: "result[0] >= 500", success: false, hi: f(500), strict: true},
		{expr: "result[0] > 0.05 || result[0] < 0", success: false, lo: f(0), hi: f(0.05)},
		{expr: "isNaN(result[0]) || result[0] > 5", success: false, hi: f(5)},
		{expr: "result[0] == 1", success: true, err: "not a comparison"},
		{expr: "result.errorRate < 0.01", success: true, err: "not a comparison"},
		{expr: "result[0] >= 1 || result[0] <= 0", success: true, err: "only conditions that bound"},
		{expr: "result[0] > 1 && result[0] < 5", success: false, err: "only conditions that bound"},
		{expr: "len(result) == 0", success: true, err: "bounds nothing"},
	}
	for _, tc := range tests {
		lo, hi, strict, err := rangeOf(tc.expr, tc.success)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("rangeOf(%q) error %v, want %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil || !same(lo, tc.lo) || !same(hi, tc.hi) || strict != tc.strict {
			t.Errorf("rangeOf(%q, %v) = %v, %v, %v, %v; want %v, %v, %v", tc.expr, tc.success, show(lo), show(hi), strict, err, show(tc.lo), show(tc.hi), tc.strict)
		}
	}
}

func same(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}
