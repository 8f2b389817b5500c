#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs lint,
# the unit and end-to-end tests (race detector on) and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

echo "== e2e setup (kube-apiserver, etcd, Prometheus, CRDs; cached in ~/.cache/sluice-e2e)"
# Not eval "$(...)": under set -e a failed substitution inside eval is ignored.
e2e_env=$(./hack/e2e/setup.sh)
eval "$e2e_env"
echo "== install tools (kustomize, helm; cached)"
tools_env=$(./hack/e2e/tools.sh)
eval "$tools_env"

echo "== chromium for the dashboard browser test (Debian packages, once)"
./test/e2e/dashboard/install-chromium.sh

echo "== nginx for the proxy's differential test (Debian package, once)"
./test/e2e/security/install-nginx.sh
export PATH="$PATH:/usr/sbin"
export SLUICE_REQUIRE_NGINX=1 # the differential test fails rather than skips without it

echo "== lint"
./hack/lint.sh

echo "== tests"
go test -race -count=1 -timeout 20m ./...

echo "== fuzz (short)"
./hack/fuzz.sh
