package loadtester

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/internal/loadgen"
)

func TestParseHey(t *testing.T) {
	const limit = 10 * time.Minute
	const url = "http://api-canary.shop:9898/"
	tests := map[string]struct {
		cmd  string
		want loadgen.Config
		err  string
	}{
		"Flagger's load test": {
			cmd:  "hey -z 1m -q 10 -c 2 " + url,
			want: loadgen.Config{Target: url, Duration: time.Minute, Rate: 20, Concurrency: 2, Timeout: heyTimeout},
		},
		"hey's defaults: 200 requests, 50 workers, as fast as they go": {
			cmd:  "hey " + url,
			want: loadgen.Config{Target: url, Requests: 200, Duration: limit, Workers: 50, Timeout: heyTimeout},
		},
		"-n is ignored with -z, as hey does": {
			cmd:  "hey -z 30s -n 5 -c 1 " + url,
			want: loadgen.Config{Target: url, Duration: 30 * time.Second, Workers: 1, Timeout: heyTimeout},
		},
		"a POST with a body, headers and a timeout": {
			cmd: `hey -n 100 -c 4 -m post -d '{"name": "x"}' -T application/json -H "Cookie: canary=always" -H 'X-Team: a b' -A text/plain -a user:pw -t 3 ` + url,
			want: loadgen.Config{
				Target: url, Requests: 100, Duration: limit, Workers: 4, Method: "POST", Body: []byte(`{"name": "x"}`), Timeout: 3 * time.Second,
				Headers: http.Header{
					"Content-Type": {"application/json"}, "Cookie": {"canary=always"}, "X-Team": {"a b"},
					"Accept": {"text/plain"}, "Authorization": {"Basic dXNlcjpwdw=="},
				},
			},
		},
		"a body gets hey's content type": {
			cmd:  "hey -n 1 -c 1 -d x " + url,
			want: loadgen.Config{Target: url, Requests: 1, Duration: limit, Workers: 1, Body: []byte("x"), Timeout: heyTimeout, Headers: http.Header{"Content-Type": {"text/html"}}},
		},
		"-t 0 is the run's bound": {
			cmd:  "hey -z 5s -t 0 -c 1 " + url,
			want: loadgen.Config{Target: url, Duration: 5 * time.Second, Workers: 1, Timeout: limit},
		},
		"not hey":                     {cmd: "curl -sd 'test' " + url + "token", err: "runs hey commands only"},
		"a pipe":                      {cmd: "hey -n 1 " + url + " | grep 200", err: "needs a shell"},
		"a variable":                  {cmd: "hey -n 1 $URL", err: "needs a shell"},
		"a quoted ampersand":          {cmd: "hey -n 1 -c 1 'http://x/?a=1&b=2'", want: loadgen.Config{Target: "http://x/?a=1&b=2", Requests: 1, Duration: limit, Workers: 1, Timeout: heyTimeout}},
		"an open quote":               {cmd: "hey -H 'X: y " + url, err: "quote is not closed"},
		"an unknown flag":             {cmd: "hey -cpus 2 " + url, err: "-cpus is not supported"},
		"no URL":                      {cmd: "hey -z 1m", err: "no URL"},
		"two URLs":                    {cmd: "hey " + url + " " + url, err: "two URLs"},
		"a flag without value":        {cmd: "hey " + url + " -z", err: "-z needs a value"},
		"a bad duration":              {cmd: "hey -z 1 " + url, err: "-z \"1\" is not a duration"},
		"fewer requests than workers": {cmd: "hey -n 10 -c 20 " + url, err: "fewer than the 20 workers"},
		"a header without a colon":    {cmd: "hey -H nocolon " + url, err: "want 'Name: value'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseHey(tc.cmd, limit)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseHey = %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Headers) == 0 {
				got.Headers = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	tests := map[string][]string{
		`a b  c`:             {"a", "b", "c"},
		`a 'b c' "d e"`:      {"a", "b c", "d e"},
		`a "b \"c\" \\ \n"`:  {"a", `b "c" \ \n`},
		`a\ b 'it''s'`:       {"a b", "its"},
		`x='1 2'`:            {"x=1 2"},
		`-H "Cookie: a=b;c"`: {"-H", "Cookie: a=b;c"},
		``:                   nil,
	}
	for in, want := range tests {
		got, err := splitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
