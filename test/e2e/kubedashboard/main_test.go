package kubedashboard

import (
	"testing"

	"sluice.dev/sluice/test/e2e/envtest"
)

// sluiceBin is the sluice binary, built once.
var sluiceBin string

func TestMain(m *testing.M) {
	envtest.MainWithBinaries(m, envtest.Binary{Package: envtest.SluicePackage, Path: &sluiceBin})
}
