#!/usr/bin/env bash
# Sets up the real servers the end-to-end tests run against, on a fresh
# machine, and prints where they are as shell `export` lines:
#
#   eval "$(hack/e2e/setup.sh)"          # or: hack/e2e/setup.sh --env-file FILE
#   go test ./test/e2e/...
#
# In a `set -e` script assign first, since eval ignores a failed substitution:
#   e2e_env=$(hack/e2e/setup.sh); eval "$e2e_env"
#
#   KUBEBUILDER_ASSETS   dir with kube-apiserver and etcd (controller-runtime's envtest)
#   SLUICE_PROMETHEUS    the prometheus binary
#   SLUICE_CRDS_ISTIO    dir of Istio's CRD YAML
#   SLUICE_CRDS_GATEWAY  dir of Gateway API's standard-channel CRD YAML
#
# Nothing is downloaded except through the Go module proxy and Debian's
# packages. kube-apiserver and etcd are built from the tool module in
# hack/e2e/kube-apiserver (see gen.sh there); Prometheus is Debian's package;
# the CRDs come from the Go module cache. Everything is cached outside the
# checkout, one directory per component and version, so it is built once per
# machine and later runs take seconds. Progress and timings go to stderr;
# only the export lines go to stdout.
#
# Environment:
#   SLUICE_E2E_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/sluice-e2e)
set -euo pipefail
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

repo="$(cd "$(dirname "$0")/../.." && pwd)"
tooldir="$repo/hack/e2e/kube-apiserver"
cache="${SLUICE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-e2e}"

# Pins used when the main module does not (yet) require the module itself.
# istio.io/api: the version istio.io/client-go v1.31.1 requires.
ISTIO_API_DEFAULT=v1.31.1-0.20260915183457-d60a532be69a
GATEWAY_API_DEFAULT=v1.6.3

env_file=""
case "${1:-}" in
  --env-file) env_file="${2:?--env-file needs a path}" ;;
  "") ;;
  *) echo "usage: $0 [--env-file FILE]" >&2; exit 2 ;;
esac

log() { echo "e2e-setup: $*" >&2; }
die() { echo "e2e-setup: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# modversion GOMOD MODULE prints MODULE's version in GOMOD (require or tool line), or nothing.
modversion() {
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

command -v go >/dev/null || die "go is not installed"
mkdir -p "$cache"

# Serialise concurrent runs (two test jobs on one machine) on the cache.
if command -v flock >/dev/null; then
  exec 9>"$cache/.lock"
  flock 9
fi

start_all=$(now)

# ---- versions -------------------------------------------------------------
k8s_version=$(modversion "$tooldir/go.mod" k8s.io/kubernetes)
etcd_version=$(modversion "$tooldir/go.mod" go.etcd.io/etcd/server/v3)
[ -n "$k8s_version" ] || die "no k8s.io/kubernetes in $tooldir/go.mod"
[ -n "$etcd_version" ] || die "no go.etcd.io/etcd/server/v3 in $tooldir/go.mod"
client_go=$(modversion "$repo/go.mod" k8s.io/client-go)
if [ -n "$client_go" ] && [ "v1.${client_go#v0.}" != "$k8s_version" ]; then
  log "warning: go.mod has k8s.io/client-go $client_go but the test apiserver is k8s.io/kubernetes $k8s_version;"
  log "         run: hack/e2e/kube-apiserver/gen.sh v1.${client_go#v0.}"
fi
istio_version=$(modversion "$repo/go.mod" istio.io/api)
istio_version=${istio_version:-$ISTIO_API_DEFAULT}
gateway_version=$(modversion "$repo/go.mod" sigs.k8s.io/gateway-api)
gateway_version=${gateway_version:-$GATEWAY_API_DEFAULT}

# ---- kube-apiserver and etcd, built from the tool module ------------------
# build NAME PACKAGE VERSION [LDFLAGS...] prints the cached binary's path.
build() {
  local name=$1 pkg=$2 version=$3 ldflags=$4
  local dir="$cache/$name-$version" t
  t=$(now)
  if [ -x "$dir/$name" ]; then
    log "$name $version: cached in $dir ($(took "$t"))"
  else
    log "$name $version: building from the Go module proxy (cold: several minutes)..."
    mkdir -p "$dir"
    (cd "$tooldir" && go build -trimpath -ldflags="-s $ldflags" -o "$dir/$name.tmp" "$pkg") >&2 ||
      die "building $name failed"
    mv "$dir/$name.tmp" "$dir/$name"
    log "$name $version: built in $(took "$t")"
  fi
  echo "$dir/$name"
}

minor=${k8s_version#v1.}
minor=${minor%%.*}
vpkg=k8s.io/component-base/version
apiserver=$(build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_version" \
  "-X $vpkg.gitVersion=$k8s_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean")
etcd=$(build etcd go.etcd.io/etcd/server/v3 "$etcd_version" "")

assets="$cache/assets-kube-$k8s_version-etcd-$etcd_version"
mkdir -p "$assets"
ln -sfn "$apiserver" "$assets/kube-apiserver"
ln -sfn "$etcd" "$assets/etcd"

# ---- Prometheus, Debian's package -----------------------------------------
t=$(now)
prometheus=$(command -v prometheus || true)
if [ -z "$prometheus" ]; then
  log "prometheus: installing Debian's package..."
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "prometheus is missing and installing it needs root (apt-get install prometheus)"
    sudo="sudo -n"
  fi
  # Keep the package from starting a system Prometheus (it would listen on
  # :9090 and scrape in the background); the tests start their own. Only
  # touch policy-rc.d when the machine has none, and put it back after.
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added_policy=1
  fi
  status=0
  {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold prometheus
  } >&2 || status=$?
  [ -z "$added_policy" ] || $sudo rm -f "$policy"
  [ "$status" = 0 ] || die "apt-get install prometheus failed ($status)"
  prometheus=$(command -v prometheus) || die "prometheus still not on PATH after apt-get install"
  log "prometheus: installed in $(took "$t")"
else
  log "prometheus: found $prometheus ($(took "$t"))"
fi
if pgrep -x prometheus >/dev/null 2>&1; then
  log "note: a prometheus process is already running (the tests use their own on a free port; it does not conflict)"
fi
prom_version=$("$prometheus" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p')

# ---- CRDs from the Go module cache ----------------------------------------
# crds NAME MODULE VERSION SUBDIR GLOB prints the dir holding copies of the YAML.
crds() {
  local name=$1 mod=$2 version=$3 sub=$4 glob=$5
  local dir="$cache/crds-$name-$version" t src
  t=$(now)
  if [ -f "$dir/.complete" ]; then
    log "$name CRDs $version: cached in $dir ($(took "$t"))"
  else
    src=$(cd "$cache" && GOFLAGS= go mod download -json "$mod@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [ -d "$src/$sub" ] || die "$mod@$version has no $sub"
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    # shellcheck disable=SC2086 # the glob is meant to expand
    (cd "$src/$sub" && cp $glob "$dir.tmp/")
    chmod -R u+w "$dir.tmp"
    touch "$dir.tmp/.complete"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    log "$name CRDs $version: $(find "$dir" -name '*.yaml' | wc -l) files copied in $(took "$t")"
  fi
  echo "$dir"
}

crds_istio=$(crds istio istio.io/api "$istio_version" kubernetes customresourcedefinitions.gen.yaml)
crds_gateway=$(crds gateway-api sigs.k8s.io/gateway-api "$gateway_version" config/crd/standard '*.yaml')

log "ready in $(took "$start_all"): kube-apiserver $k8s_version, etcd $etcd_version, prometheus $prom_version, istio.io/api $istio_version, gateway-api $gateway_version"

exports() {
  printf 'export KUBEBUILDER_ASSETS=%q\n' "$assets"
  printf 'export SLUICE_PROMETHEUS=%q\n' "$prometheus"
  printf 'export SLUICE_CRDS_ISTIO=%q\n' "$crds_istio"
  printf 'export SLUICE_CRDS_GATEWAY=%q\n' "$crds_gateway"
}
if [ -n "$env_file" ]; then
  exports >"$env_file"
  log "wrote $env_file"
else
  exports
fi
