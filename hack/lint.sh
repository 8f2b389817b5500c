#!/usr/bin/env bash
# gofmt, go vet and golangci-lint (pinned, built from the Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
unformatted=$(gofmt -l $(git ls-files '*.go') || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
LINT=$(./hack/tools.sh golangci-lint)
"$LINT" run ./...
