#!/usr/bin/env bash
# Runs every fuzz target briefly; FUZZTIME=200000x (or 1m) for longer runs.
# The default is a count of inputs, not a duration: with a duration, Go 1.26's
# fuzzing coordinator can report its own deadline as a failure
# ("context deadline exceeded", no failing input) when a worker is still
# busy as the time ends on a loaded machine (go.dev/issue/75804, fixed in
# Go 1.27). A count has no deadline to race; 10,000 inputs take 2-10 s here.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
FUZZTIME="${FUZZTIME:-10000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run "^$" -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 3s -parallel 1 "$pkg"
  done
done
