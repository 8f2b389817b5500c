// Package gatewayapi drives a Gateway API HTTPRoute that the user wrote
// and owns: it moves the weights of the stable and canary Services'
// backendRefs in the chosen rules and, for A/B rules, keeps a rule that
// sends matching requests to the canary.
//
// Sluice never rewrites the object whole. Each change is a JSON patch that
// touches only weights, the canary backendRef it adds, and its own match
// rules, guarded by test operations on the values it read, and recorded
// under field manager "sluice". The rules list is atomic, so managedFields
// shows that manager owning spec.rules as a whole once it has set a
// weight; the values of the other rules and fields are still the user's.
package gatewayapi
