package sim

import "testing"

// Flagger's scheduler rolls back at the check after the threshold-th
// failure: with every check failing, threshold 5 and a 1-minute interval,
// the fifth failure is counted at 5 min and the rollback comes at 6 min.
func TestFlaggerRollsBackAtTheCheckAfterTheThreshold(t *testing.T) {
	f := newFlagger(plan{})
	bad := &arm{N: 100, Errs: 50}
	bad.Buckets[5] = 100
	for s := 1; s <= 10*interval; s++ {
		f.tick(s, &arm{}, bad)
		if f.state() == rolledBack {
			if want := (threshold + 1) * interval; s != want {
				t.Fatalf("rolled back at %d s, want %d s", s, want)
			}
			if f.failed != threshold {
				t.Errorf("%d failed checks at the rollback, want %d", f.failed, threshold)
			}
			return
		}
	}
	t.Fatal("never rolled back")
}

// A passing check at each interval steps the weight up, then promotes.
func TestFlaggerPromotesAfterPassingChecks(t *testing.T) {
	f := newFlagger(plan{})
	good := &arm{N: 100}
	good.Buckets[5] = 100
	var weights []int
	for s := 1; s <= 10*interval && f.state() == running; s++ {
		f.tick(s, &arm{}, good)
		if s%interval == 0 {
			weights = append(weights, f.weight())
		}
	}
	want := []int{20, 30, 40, 50, 100}
	if f.state() != promoted || len(weights) != len(want) {
		t.Fatalf("state %v after weights %v, want promoted after %v", f.state(), weights, want)
	}
	for i := range want {
		if weights[i] != want[i] {
			t.Fatalf("weights %v, want %v", weights, want)
		}
	}
}
