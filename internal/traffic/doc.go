// Package traffic is the home of Sluice's routers: the parts that split
// requests between the stable and canary versions and report the split
// back. The engine only decides a weight; a router makes the data plane
// carry it out, wherever that data plane is.
//
// Each router lives in its own package, next to the thing it drives:
//
//   - istio writes weights and match routes into a user's VirtualService;
//   - gatewayapi does the same for a user's HTTPRoute;
//   - the embedded proxy (internal/proxy) is the data plane of local mode.
//
// The Kubernetes routers share one contract with the controller: they
// change only the fields they own (weights, the canary destination, their
// own match routes), through JSON patches whose test operations make a
// concurrent edit fail the patch instead of being overwritten, and they
// report what a person must fix as *kubeerr.ConfigError with the path of
// the Release field that points at the problem.
package traffic
