// Package envtest starts the real servers Sluice's end-to-end tests run
// against: a kube-apiserver with etcd (through controller-runtime's envtest)
// with the Istio and Gateway API CRDs installed, and a Prometheus that
// scrapes local endpoints every second.
//
// The binaries are not downloaded here. hack/e2e/setup.sh builds or installs
// them once per machine, caches them outside the checkout and prints the
// environment that points at them:
//
//	eval "$(hack/e2e/setup.sh)"
//	go test ./test/e2e/...
//
// A test that needs a server it cannot find fails, naming the variable and
// the setup command, rather than skipping: an end-to-end test that silently
// does not run proves nothing.
package envtest
