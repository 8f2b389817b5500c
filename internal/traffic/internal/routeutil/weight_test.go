package routeutil

import "testing"

func TestCanaryPercent(t *testing.T) {
	for name, tc := range map[string]struct {
		stable, canary int64
		want           int32
	}{
		"percents":          {stable: 70, canary: 30, want: 30},
		"relative":          {stable: 1, canary: 1, want: 50},
		"rounds half up":    {stable: 1, canary: 7, want: 88},
		"all canary":        {stable: 0, canary: 5, want: 100},
		"nothing":           {stable: 0, canary: 0, want: 0},
		"negative is zero":  {stable: -3, canary: 1, want: 100},
		"both negative":     {stable: -1, canary: -1, want: 0},
		"one in a thousand": {stable: 999, canary: 1, want: 0},
	} {
		t.Run(name, func(t *testing.T) {
			if got := CanaryPercent(tc.stable, tc.canary); got != tc.want {
				t.Errorf("CanaryPercent(%d, %d) = %d, want %d", tc.stable, tc.canary, got, tc.want)
			}
		})
	}
}

func TestNumber(t *testing.T) {
	type want struct {
		n             int64
		present, isOK bool
	}
	for name, tc := range map[string]struct {
		in   any
		want want
	}{
		"absent":      {in: nil, want: want{0, false, true}},
		"int64":       {in: int64(7), want: want{7, true, true}},
		"int32":       {in: int32(8), want: want{8, true, true}},
		"int":         {in: 9, want: want{9, true, true}},
		"whole float": {in: 10.0, want: want{10, true, true}},
		"fraction":    {in: 1.5, want: want{1, true, false}},
		"string":      {in: "1", want: want{0, false, false}},
	} {
		t.Run(name, func(t *testing.T) {
			n, present, ok := Number(tc.in)
			if got := (want{n, present, ok}); got != tc.want {
				t.Errorf("Number(%#v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}
