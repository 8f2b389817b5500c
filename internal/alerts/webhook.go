package alerts

import (
	"fmt"
)

// webhookBody is the Alert itself: a receiver of the generic webhook gets
// every field with its JSON name, the time in RFC 3339.
func webhookBody(a Alert) ([]byte, error) {
	a.Time = a.Time.UTC()
	b, err := marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encoding the alert: %w", err)
	}
	return b, nil
}
