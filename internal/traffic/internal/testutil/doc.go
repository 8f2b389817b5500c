// Package testutil holds the test helpers the istio and gatewayapi router
// tests share: reading a user's object as the API server stores it,
// comparing what Sluice must not have touched, decoding YAML the way the
// unstructured client does, and applying a planned patch offline. It is
// imported only by tests; it lives in a non-test file so both packages can
// use it.
package testutil
