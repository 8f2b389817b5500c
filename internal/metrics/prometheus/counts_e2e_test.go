package prometheus

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"sluice.dev/sluice/test/e2e/istiomesh"
)

// TestCountsEndToEnd reads the judge's counts from a real Prometheus
// scraping Istio-shaped series: each scrape adds 100 requests per version,
// so every count is an exact multiple of the per-batch mix, and the decoys
// (the caller's reports, another namespace) must not be counted.
func TestCountsEndToEnd(t *testing.T) {
	p := startMesh(t)
	src, err := New(p.API, shop, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()

	canary, bounds, err := src.Counts(ctx, "canary", now)
	if err != nil {
		t.Fatalf("Counts(canary): %v", err)
	}
	want := make([]float64, len(istiomesh.Buckets))
	for i, ms := range istiomesh.Buckets {
		want[i] = ms / 1000
	}
	if !slices.Equal(bounds, want) {
		t.Fatalf("bounds = %v, want Istio's buckets in seconds %v", bounds, want)
	}
	batches := canary.Requests / 100
	if batches == 0 || canary.Requests%100 != 0 || canary.Errors != 5*batches {
		t.Fatalf("canary = %d requests, %d errors; want n×100 and n×5", canary.Requests, canary.Errors)
	}
	if len(canary.Buckets) != len(bounds)+1 {
		t.Fatalf("%d buckets for %d bounds", len(canary.Buckets), len(bounds))
	}
	// 40 ms → (25, 50]: 90 per batch; 180 ms → (100, 250]: 10 per batch.
	i50, i250 := slices.Index(bounds, 0.05), slices.Index(bounds, 0.25)
	for i, n := range canary.Buckets {
		w := uint64(0)
		switch i {
		case i50:
			w = 90 * batches
		case i250:
			w = 10 * batches
		}
		if n != w {
			t.Errorf("canary bucket %d (≤ %v s) = %d, want %d", i, bounds[min(i, len(bounds)-1)], n, w)
		}
	}

	stable, _, err := src.Counts(ctx, "stable", now)
	if err != nil {
		t.Fatalf("Counts(stable): %v", err)
	}
	if stable.Requests == 0 || stable.Errors != 0 || stable.Buckets[slices.Index(bounds, 0.01)] != stable.Requests {
		t.Fatalf("stable = %+v; want every request in (5, 10] ms and no errors", stable)
	}

	// Later readings only grow: the judge's batches are their differences.
	later, _, err := src.Counts(ctx, "canary", now.Add(3*time.Second))
	if err == nil && later.Requests < canary.Requests {
		t.Fatalf("requests went from %d to %d", canary.Requests, later.Requests)
	}

	idle := Target{Namespace: "shop", Stable: Workload{Name: "api-v1"}, Canary: Workload{Name: "api-none"}}
	none, err := New(p.API, idle, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := none.Counts(ctx, "canary", now); !errors.Is(err, ErrNoCounts) {
		t.Fatalf("a workload with no series: err = %v, want ErrNoCounts", err)
	}
}
