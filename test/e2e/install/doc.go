// Package install checks that the ways of installing Sluice produce objects
// a real cluster accepts, and that the Release CRD refuses a broken spec at
// admission rather than after the controller has read it.
//
// The manifests are rendered by the real tools (kustomize for config/default,
// helm for charts/sluice) and sent to a real kube-apiserver as server-side
// apply requests with dryRun=All and strict field validation, so a typo in
// a field name, a value the API refuses, or a pod template that breaks the
// restricted Pod Security Standard fails the test the way it would fail a
// user's `kubectl apply`. Only the namespace and the CRD are created for
// real, because everything else depends on them.
//
// The tools and servers are not downloaded here; set them up first:
//
//	eval "$(hack/e2e/setup.sh)"   # kube-apiserver, etcd, router CRDs
//	eval "$(hack/e2e/tools.sh)"   # kustomize, helm
//	go test ./test/e2e/install/
//
// Without them the tests fail and say which command to run: a manifest
// check that silently skips proves nothing.
package install
