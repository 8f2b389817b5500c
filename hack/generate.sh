#!/usr/bin/env bash
# Regenerates deepcopy functions (and, later, CRDs) with the pinned controller-gen.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTROLLER_GEN=$(./hack/tools.sh controller-gen)
"$CONTROLLER_GEN" object:headerFile=hack/boilerplate.go.txt paths=./api/...
