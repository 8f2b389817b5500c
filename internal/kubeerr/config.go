package kubeerr

import (
	"errors"
	"fmt"
)

// ConfigError says which field of the Release refers to something wrong, so
// the controller can set condition Stalled with that path and the user
// knows what to edit. Retrying does not help until the Release or the
// referenced object changes.
type ConfigError struct {
	// Field is the path in the Release, such as spec.traffic.istio.routes[0].
	Field string
	// Object names the Kubernetes object concerned, such as
	// "VirtualService shop/api"; empty when the Release alone is at fault.
	Object string
	// Message says what is wrong, in words a person can act on.
	Message string
}

// Error puts the field first, as kubectl prints field errors.
func (e *ConfigError) Error() string { return e.Field + ": " + e.Message }

// Config returns a *ConfigError; the message is formatted like fmt.Sprintf.
func Config(field, object, format string, args ...any) error {
	return &ConfigError{Field: field, Object: object, Message: fmt.Sprintf(format, args...)}
}

// AsConfig finds a *ConfigError in err's chain, so callers need not repeat
// the errors.As dance.
func AsConfig(err error) (*ConfigError, bool) {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce, true
	}
	return nil, false
}
