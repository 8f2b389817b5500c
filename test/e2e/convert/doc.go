// Package convert checks `sluice convert` against a real kube-apiserver:
// the Release and objects it writes from the Flagger and Argo manifests of
// internal/convert/testdata must be accepted by the API server (strict
// field validation, the Release CRD's own rules) as they are, pass `sluice
// lint`, and give the controller a release it can drive.
//
// Set up the servers first:
//
//	eval "$(hack/e2e/setup.sh)"
//	go test ./test/e2e/convert/
package convert
