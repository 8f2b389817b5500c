// Package istio drives an Istio VirtualService that the user wrote and
// owns, the way they already drive it by hand: it moves the weights of the
// stable and canary destinations of the chosen HTTP routes, either two
// subsets of one host (with a DestinationRule) or two hosts (two
// Services), and, for A/B rules, keeps a route in front that sends
// matching requests to the canary.
//
// Sluice never rewrites the object whole. Each change is a JSON patch that
// touches only weights, the canary destination it adds, and its own match
// routes, guarded by test operations on the values it read, and recorded
// under field manager "sluice". Istio's route lists have no merge keys, so
// managedFields shows that manager owning spec.http as a whole once it has
// set a weight; the values of the other routes and fields are still the
// user's, untouched.
package istio
