// Command openloop sends requests at a fixed rate, whatever the server does,
// and measures each latency from the time the request was scheduled to be
// sent, not from when it was actually sent. A closed-loop tool (wrk) waits
// for answers before sending more, so a stalled server also stalls the load
// and its worst latencies go unmeasured; here a stall shows in full.
//
// Given several URLs (comma-separated), it loads them all in the same
// window, each at the full rate, their schedules interleaved: a pause of
// the machine then falls on every target alike, so their tail latencies can
// be compared — on a shared machine, runs one after another differ by more
// than the latency a proxy adds.
//
// It prints one JSON object per URL, in order, with the latency quantiles in
// microseconds. With -wait it only waits until the URL answers 200, for
// scripts that start servers.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Result is what one run measured. Latencies are in microseconds.
type Result struct {
	URL     string  `json:"url"`
	Rate    int     `json:"rate"`
	Seconds float64 `json:"seconds"`
	Sent    int     `json:"sent"`
	// Total counts the warm-up requests too: CPU is read around the whole run.
	Total      int     `json:"total"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	P50        float64 `json:"p50_us"`
	P90        float64 `json:"p90_us"`
	P99        float64 `json:"p99_us"`
	P999       float64 `json:"p999_us"`
	Max        float64 `json:"max_us"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
}

func run() error {
	urls := flag.String("url", "", "loopback URL to load; several, comma-separated, are loaded together")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", time.Second, "unmeasured load before the measured part")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout")
	wait := flag.Duration("wait", 0, "only wait, up to this long, until the URL answers 200")
	postBytes := flag.Int("post-bytes", 0, "send POST requests with a body of this many bytes instead of GET")
	flag.Parse()

	targets := strings.Split(*urls, ",")
	for _, t := range targets {
		if err := loopbackURL(t); err != nil {
			return err
		}
	}
	client := &http.Client{
		Timeout: *timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        0,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	if *postBytes < 0 || *postBytes > 1<<20 {
		return errors.New("-post-bytes must be 0..1048576")
	}
	rq := &requester{client: client, body: []byte(strings.Repeat("x", *postBytes))}
	if *wait > 0 {
		for _, t := range targets {
			if err := waitReady(rq, t, *wait); err != nil {
				return err
			}
		}
		return nil
	}
	if *rate < 1 || *rate*len(targets) > 100_000 || *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("-rate times the URLs must be 1..100000 and -duration 0..10m")
	}
	var failed []string
	for i, res := range load(rq, targets, *rate, *warmup, *duration) {
		res.URL, res.Rate, res.Seconds = targets[i], *rate, duration.Seconds()
		out, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		fmt.Println(string(out))
		if res.Errors > 0 {
			failed = append(failed, fmt.Sprintf("%s: %d of %d requests failed; first: %s", res.URL, res.Errors, res.Sent, res.FirstError))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

// load sends rate requests per second to each target for warmup+duration,
// each on its own goroutine at its scheduled time, and returns each
// target's quantiles over the measured part. The targets' schedules are
// interleaved: target j's requests go out j/len(targets) of an interval
// after target 0's. The run is bounded: the last request is scheduled at
// warmup+duration and every request is bounded by the client's timeout.
func load(rq *requester, targets []string, rate int, warmup, duration time.Duration) []Result {
	k := len(targets)
	interval := time.Second / time.Duration(rate)
	skip := int(warmup / interval)
	n := int(duration / interval)
	lat := make([][]time.Duration, k)
	for j := range lat {
		lat[j] = make([]time.Duration, n)
	}
	res := make([]Result, k)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now().Add(10 * time.Millisecond)
	for i := range skip + n {
		for j, target := range targets {
			at := start.Add(time.Duration(i)*interval + time.Duration(j)*interval/time.Duration(k))
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := rq.get(target)
				d := time.Since(at)
				if i < skip {
					return
				}
				lat[j][i-skip] = d
				if err != nil {
					mu.Lock()
					res[j].Errors++
					if res[j].FirstError == "" {
						res[j].FirstError = err.Error()
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for j := range res {
		l := lat[j]
		slices.Sort(l)
		q := func(p float64) float64 {
			i := min(int(p*float64(len(l))), len(l)-1)
			return float64(l[i].Nanoseconds()) / 1e3
		}
		res[j].Sent, res[j].Total = n, skip+n
		res[j].P50, res[j].P90, res[j].P99, res[j].P999, res[j].Max = q(0.50), q(0.90), q(0.99), q(0.999), q(1)
	}
	return res
}

// requester sends one kind of request: a GET, or a POST of body
// (-post-bytes).
type requester struct {
	client *http.Client
	body   []byte
}

func (rq *requester) get(target string) error {
	var res *http.Response
	var err error
	if len(rq.body) > 0 {
		res, err = rq.client.Post(target, "application/octet-stream", bytes.NewReader(rq.body))
	} else {
		res, err = rq.client.Get(target)
	}
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	_, err = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

func waitReady(rq *requester, target string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := rq.get(target)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w", target, limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loopbackURL refuses any target but this machine's loopback addresses.
func loopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: host must be a loopback IP", s)
	}
	return nil
}
