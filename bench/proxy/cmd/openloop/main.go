// Command openloop sends requests at a fixed rate, whatever the server does,
// and measures each latency from the time the request was scheduled to be
// sent, not from when it was actually sent. A closed-loop tool (wrk) waits
// for answers before sending more, so a stalled server also stalls the load
// and its worst latencies go unmeasured; here a stall shows in full.
//
// It prints one JSON object with the latency quantiles in microseconds. With
// -wait it only waits until the URL answers 200, for scripts that start
// servers.
package main

import (
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
	target := flag.String("url", "", "loopback URL to load")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", time.Second, "unmeasured load before the measured part")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout")
	wait := flag.Duration("wait", 0, "only wait, up to this long, until the URL answers 200")
	flag.Parse()

	if err := loopbackURL(*target); err != nil {
		return err
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
	if *wait > 0 {
		return waitReady(client, *target, *wait)
	}
	if *rate < 1 || *rate > 100_000 || *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("-rate must be 1..100000 and -duration 0..10m")
	}
	res := load(client, *target, *rate, *warmup, *duration)
	res.URL, res.Rate, res.Seconds = *target, *rate, duration.Seconds()
	out, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	fmt.Println(string(out))
	if res.Errors > 0 {
		return fmt.Errorf("%d of %d requests failed; first: %s", res.Errors, res.Sent, res.FirstError)
	}
	return nil
}

// load sends rate requests per second for warmup+duration, each on its own
// goroutine at its scheduled time, and returns the quantiles of the measured
// part. The run is bounded: the last request is scheduled at warmup+duration
// and every request is bounded by the client's timeout.
func load(client *http.Client, target string, rate int, warmup, duration time.Duration) Result {
	interval := time.Second / time.Duration(rate)
	skip := int(warmup / interval)
	n := int(duration / interval)
	lat := make([]time.Duration, n)
	var (
		mu       sync.Mutex
		errCount int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now().Add(10 * time.Millisecond)
	for i := range skip + n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := get(client, target)
			d := time.Since(at)
			if i < skip {
				return
			}
			lat[i-skip] = d
			if err != nil {
				mu.Lock()
				errCount++
				if firstErr == "" {
					firstErr = err.Error()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := int(p * float64(len(lat)))
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return float64(lat[i].Nanoseconds()) / 1e3
	}
	return Result{
		Sent: n, Total: skip + n, Errors: errCount, FirstError: firstErr,
		P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999), Max: q(1),
	}
}

func get(client *http.Client, target string) error {
	res, err := client.Get(target)
	if err != nil {
		return fmt.Errorf("get: %w", err)
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

func waitReady(client *http.Client, target string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := get(client, target)
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
