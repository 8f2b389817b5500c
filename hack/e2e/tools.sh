#!/usr/bin/env bash
# Builds the command-line tools the install tests render manifests with, and
# prints where they are as shell `export` lines:
#
#   eval "$(hack/e2e/tools.sh)"          # or: hack/e2e/tools.sh --env-file FILE
#   go test ./test/e2e/install/...
#
#   SLUICE_KUSTOMIZE   the kustomize binary (renders config/default)
#   SLUICE_HELM        the helm binary (renders charts/sluice)
#
# Both are built from the Go module proxy with `go install module@version`,
# so each is built exactly as its authors pinned it in its own go.mod, and
# Sluice's go.mod is never touched. The versions below are the newest whose
# go.mod asks for a Go this machine has (kustomize v5.8.3 needs Go 1.27).
# Binaries are cached outside the checkout, one directory per tool and
# version, so they are built once per machine and later runs take a fraction
# of a second. Cold, with empty Go caches, the two builds took 455
# CPU-seconds: 16 minutes wall on a 2-core machine shared with other builds
# (about 4 minutes expected when idle). Progress and timings go to stderr;
# only the export lines go to stdout.
#
# Environment:
#   SLUICE_E2E_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/sluice-e2e),
#                      shared with hack/e2e/setup.sh
set -euo pipefail
export GOTOOLCHAIN=local

KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
KUSTOMIZE_VERSION=v5.8.2
HELM_PACKAGE=helm.sh/helm/v3/cmd/helm
HELM_VERSION=v3.22.0

cache="${SLUICE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-e2e}"

env_file=""
case "${1:-}" in
  --env-file) env_file="${2:?--env-file needs a path}" ;;
  "") ;;
  *) echo "usage: $0 [--env-file FILE]" >&2; exit 2 ;;
esac

log() { echo "e2e-tools: $*" >&2; }
die() { echo "e2e-tools: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

command -v go >/dev/null || die "go is not installed"
mkdir -p "$cache"

# Serialise concurrent runs on the cache; a lock of its own so this does not
# wait for setup.sh building kube-apiserver.
if command -v flock >/dev/null; then
  exec 9>"$cache/.tools.lock"
  flock 9
fi

start_all=$(now)

# install NAME PACKAGE VERSION [LDFLAGS] prints the cached binary's path,
# building it into a temporary directory first so an interrupted build
# leaves nothing that looks finished.
install() {
  local name=$1 pkg=$2 version=$3 ldflags=${4:-}
  local dir="$cache/$name-$version" t
  t=$(now)
  if [ -x "$dir/$name" ]; then
    log "$name $version: cached in $dir ($(took "$t"))"
  else
    log "$name $version: building $pkg@$version from the Go module proxy (cold: minutes)..."
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    # GOFLAGS is cleared: flags meant for Sluice's module (-mod=...) are
    # refused by `go install module@version`.
    (cd "$cache" && GOFLAGS= GOBIN="$dir.tmp" go install -trimpath -ldflags="-s $ldflags" "$pkg@$version") >&2 ||
      die "building $name $version failed"
    [ -x "$dir.tmp/$name" ] || die "go install left no $name in $dir.tmp"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    log "$name $version: built in $(took "$t")"
  fi
  echo "$dir/$name"
}

kustomize=$(install kustomize "$KUSTOMIZE_MODULE" "$KUSTOMIZE_VERSION")

# helm_ldflags prints the -X flags helm's own release build sets (see its
# Makefile): its version, and the Kubernetes version `helm template` and
# `helm lint` assume, taken from the k8s.io/client-go its go.mod requires.
# Without them helm says v3.22 and assumes Kubernetes v1.20.
helm_ldflags() {
  local gomod k8s minor
  gomod=$(cd "$cache" && GOFLAGS= go mod download -json "helm.sh/helm/v3@$HELM_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "no go.mod for helm.sh/helm/v3@$HELM_VERSION"
  k8s=$(awk '$1 == "k8s.io/client-go" && $2 ~ /^v0\./ { print $2; exit }' "$gomod")
  [ -n "$k8s" ] || die "helm.sh/helm/v3@$HELM_VERSION requires no k8s.io/client-go"
  minor=${k8s#v0.}
  minor=${minor%%.*}
  local x=""
  for pkg in pkg/lint/rules pkg/chartutil; do
    x="$x -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$minor"
  done
  echo "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION$x"
}

helm_x=""
[ -x "$cache/helm-$HELM_VERSION/helm" ] || helm_x=$(helm_ldflags)
helm=$(install helm "$HELM_PACKAGE" "$HELM_VERSION" "$helm_x")

# A binary that does not run is a broken cache entry, not a test failure.
"$kustomize" version >/dev/null 2>&1 || die "$kustomize does not run; remove $(dirname "$kustomize") and retry"
"$helm" version --short >/dev/null 2>&1 || die "$helm does not run; remove $(dirname "$helm") and retry"

log "ready in $(took "$start_all"): kustomize $KUSTOMIZE_VERSION, helm $HELM_VERSION"

exports() {
  printf 'export SLUICE_KUSTOMIZE=%q\n' "$kustomize"
  printf 'export SLUICE_HELM=%q\n' "$helm"
}
if [ -n "$env_file" ]; then
  exports >"$env_file"
  log "wrote $env_file"
else
  exports
fi
