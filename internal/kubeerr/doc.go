// Package kubeerr holds the error a person must fix: a Release that points
// at an object which is missing or does not have the shape it needs (a
// VirtualService without the named route, an HTTPRoute without the stable
// backend). Parts return it so the controller can tell such errors from
// transient ones and report them as condition Stalled with the field path
// of the Release, instead of retrying forever or falling back silently.
package kubeerr
