package dashboard

import (
	"testing"

	"sluice.dev/sluice/test/e2e/envtest"
)

// appBin is the sample app and sluiceBin the CLI, built once for all tests.
var appBin, sluiceBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m,
		envtest.Binary{Package: envtest.AppPackage, Path: &appBin},
		envtest.Binary{Package: envtest.SluicePackage, Path: &sluiceBin})
}
