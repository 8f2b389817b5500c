package loadtester

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sluice.dev/sluice/internal/loadgen"
)

// hey's defaults, for the flags a command leaves out.
const (
	heyRequests = 200
	heyWorkers  = 50
	heyTimeout  = 20 * time.Second
)

// parseHey reads a hey command line into a load run. Without -z the run
// sends -n requests and is bounded by limit (hey has no bound at all);
// with -z it lasts that long and -n is ignored, as hey does. -q is per
// worker: the run sends q×c requests per second, at most c in flight
// (hey's workers wait for each answer; here a request due while c are in
// flight is skipped, so the rate stays honest); without -q each of the c
// workers sends as fast as it gets answers.
func parseHey(line string, limit time.Duration) (loadgen.Config, error) {
	args, err := splitWords(line)
	if err != nil {
		return loadgen.Config{}, err
	}
	if len(args) == 0 || args[0] != "hey" {
		return loadgen.Config{}, fmt.Errorf("%q is not a hey command: sluice loadtester runs hey commands only (hey -z 1m -q 10 -c 2 http://…)", excerpt(line))
	}
	var (
		cfg      = loadgen.Config{Headers: http.Header{}, Timeout: heyTimeout}
		workers  = heyWorkers
		requests = int64(heyRequests)
		qps      float64
		target   string
		body     *string
	)
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if target != "" {
				return cfg, fmt.Errorf("hey: two URLs, %q and %q; give one", target, a)
			}
			target = a
			continue
		}
		if i+1 >= len(args) {
			return cfg, fmt.Errorf("hey: %s needs a value", a)
		}
		v := args[i+1]
		i++
		switch a {
		case "-z":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("hey: -z %q is not a duration such as 30s or 1m", v)
			}
			cfg.Duration = d
		case "-q":
			q, err := strconv.ParseFloat(v, 64)
			if err != nil || q < 0 {
				return cfg, fmt.Errorf("hey: -q %q is not a rate per worker", v)
			}
			qps = q
		case "-c":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > loadgen.MaxConcurrency {
				return cfg, fmt.Errorf("hey: -c %q is not a number of workers from 1 to %d", v, loadgen.MaxConcurrency)
			}
			workers = n
		case "-n":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return cfg, fmt.Errorf("hey: -n %q is not a number of requests", v)
			}
			requests = n
		case "-m":
			cfg.Method = strings.ToUpper(v)
		case "-H":
			k, val, ok := strings.Cut(v, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return cfg, fmt.Errorf("hey: -H %q: want 'Name: value'", v)
			}
			cfg.Headers.Add(strings.TrimSpace(k), strings.TrimSpace(val))
		case "-d":
			body = &v
		case "-T":
			cfg.Headers.Set("Content-Type", v)
		case "-A":
			cfg.Headers.Set("Accept", v)
		case "-a":
			if !strings.Contains(v, ":") {
				return cfg, fmt.Errorf("hey: -a wants user:password")
			}
			cfg.Headers.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)))
		case "-t":
			s, err := strconv.Atoi(v)
			if err != nil || s < 0 {
				return cfg, fmt.Errorf("hey: -t %q is not a timeout in seconds", v)
			}
			cfg.Timeout = time.Duration(s) * time.Second
			if s == 0 {
				cfg.Timeout = limit // hey: 0 is no timeout; here the run's bound
			}
		default:
			return cfg, fmt.Errorf("hey: %s is not supported here; use -z -q -c -n -m -H -d -T -t -A -a", a)
		}
	}
	if target == "" {
		return cfg, errors.New("hey: no URL to send requests to")
	}
	cfg.Target = target
	if body != nil {
		cfg.Body = []byte(*body)
		if cfg.Headers.Get("Content-Type") == "" {
			cfg.Headers.Set("Content-Type", "text/html") // hey's default
		}
	}
	if cfg.Duration == 0 {
		if requests < int64(workers) {
			return cfg, fmt.Errorf("hey: -n %d is fewer than the %d workers (-c)", requests, workers)
		}
		cfg.Requests, cfg.Duration = requests, limit
	}
	if qps > 0 {
		cfg.Rate, cfg.Concurrency = qps*float64(workers), workers
	} else {
		cfg.Workers = workers
	}
	return cfg, nil
}

// splitWords splits a command line as a POSIX shell would split words:
// single quotes keep everything, double quotes keep all but \" and \\, a
// backslash outside quotes escapes the next character. Nothing is expanded
// or run; a pipe or a ; is refused, since no shell runs here.
func splitWords(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
	)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\'):
				i++
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			in = true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case strings.ContainsRune("|;&<>`$", r):
			return nil, fmt.Errorf("%q: %q needs a shell, and sluice loadtester runs no shell; give one hey command", excerpt(string(rs)), string(r))
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: a %c quote is not closed", excerpt(line), quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// excerpt shortens a command for a message.
func excerpt(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
