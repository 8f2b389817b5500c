// Package routeutil holds what the Kubernetes routers (istio, gatewayapi)
// do the same way whatever object they drive: sending a guarded JSON
// patch and retrying it when the object changed meanwhile, reading a
// weight back as a percent, and turning a match rule's cookies into one
// header expression. Each router keeps only what is specific to its object
// (VirtualService routes, HTTPRoute rules); the contract both share with
// the controller is written once here so it cannot drift between them.
package routeutil
