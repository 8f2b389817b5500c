package judge

import (
	"testing"

	"sluice.dev/sluice/test/e2e/envtest"
)

// appBin is the sample app, built once: the versions are real processes.
var appBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m, envtest.Binary{Package: envtest.AppPackage, Path: &appBin})
}
