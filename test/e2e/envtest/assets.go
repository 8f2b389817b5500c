package envtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The environment hack/e2e/setup.sh prints. Named once so a failure message
// and the setup script cannot drift apart.
const (
	EnvAssets       = "KUBEBUILDER_ASSETS"
	EnvPrometheus   = "SLUICE_PROMETHEUS"
	EnvCRDsIstio    = "SLUICE_CRDS_ISTIO"
	EnvCRDsGateway  = "SLUICE_CRDS_GATEWAY"
	setupSuggestion = `run  eval "$(hack/e2e/setup.sh)"  from the repository root first ` +
		`(it builds kube-apiserver and etcd once and caches them, installs Prometheus, and fetches the CRDs)`
)

// requirePath fails the test unless the environment variable names an
// existing path, so a missing setup step is reported with its fix instead
// of surfacing later as an obscure start-up error.
func requirePath(t testing.TB, name string) string {
	t.Helper()
	p, err := lookupPath(name)
	if err != nil {
		t.Fatalf("%v; %s", err, setupSuggestion)
	}
	return p
}

func lookupPath(name string) (string, error) {
	p := os.Getenv(name)
	if p == "" {
		return "", fmt.Errorf("%s is not set", name)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s=%s: %w", name, p, err)
	}
	return p, nil
}

// requireExecutable fails the test unless path is a file anyone may run.
func requireExecutable(t testing.TB, name, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%s: %v; %s", name, err, setupSuggestion)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("%s: %s is not an executable file; %s", name, path, setupSuggestion)
	}
}

// requireAssets checks the envtest assets directory holds both binaries.
func requireAssets(t testing.TB) string {
	t.Helper()
	dir := requirePath(t, EnvAssets)
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		requireExecutable(t, EnvAssets, filepath.Join(dir, bin))
	}
	return dir
}
