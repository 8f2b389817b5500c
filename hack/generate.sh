#!/usr/bin/env bash
# Regenerates deepcopy functions and the CRD with the pinned controller-gen.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTROLLER_GEN=$(./hack/tools.sh controller-gen)
"$CONTROLLER_GEN" object:headerFile=hack/boilerplate.go.txt paths=./api/...
"$CONTROLLER_GEN" crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd/bases
# The chart carries the same CRD; a test checks they never drift.
cp config/crd/bases/sluice.dev_releases.yaml charts/sluice/crds/
