#!/usr/bin/env bash
# Installs the pinned Go tools into a cache outside the checkout, keyed by
# version, so a fresh machine builds them once and later runs reuse them.
set -euo pipefail
export GOTOOLCHAIN=local
TOOLS_DIR="${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-tools}"
CONTROLLER_GEN_VERSION=v0.23.0
GOLANGCI_LINT_VERSION=v2.15.0

tool() { # name module version
  local bin="$TOOLS_DIR/$1-$3"
  if [ ! -x "$bin" ]; then
    mkdir -p "$TOOLS_DIR/tmp-$1-$3"
    GOBIN="$TOOLS_DIR/tmp-$1-$3" go install "$2@$3" >&2
    mv "$TOOLS_DIR/tmp-$1-$3/$1" "$bin"
    rmdir "$TOOLS_DIR/tmp-$1-$3"
  fi
  echo "$bin"
}

case "${1:-}" in
  controller-gen) tool controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION" ;;
  golangci-lint) tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION" ;;
  *) echo "usage: $0 controller-gen|golangci-lint" >&2; exit 2 ;;
esac
