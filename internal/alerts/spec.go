package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

// URLResolver reads a receiver's address from where the release keeps it
// out of sight, a Secret on Kubernetes. The shells pass their own.
type URLResolver func(ctx context.Context, ref v1alpha1.SecretKeyRef) (string, error)

// ConfigsFromSpec checks a release's spec.alerts and resolves their URLs,
// so the shells hold receivers ready to post. resolve may be nil when no
// receiver uses urlSecretRef (local releases). It returns every good
// receiver even when others are bad — one unreadable Secret must not
// silence the rest — and an error naming each bad one's field, such as
// spec.alerts[1].url; the URL itself never appears in it.
func ConfigsFromSpec(ctx context.Context, specs []v1alpha1.Alert, resolve URLResolver) ([]Config, error) {
	cfgs := make([]Config, 0, len(specs))
	var errs []error
	for i, s := range specs {
		path := fmt.Sprintf("spec.alerts[%d]", i)
		u := s.URL
		if ref := s.URLSecretRef; ref != nil {
			if resolve == nil {
				errs = append(errs, fmt.Errorf("%s.urlSecretRef: this release cannot read Secrets", path))
				continue
			}
			if ref.Key == "" {
				ref = &v1alpha1.SecretKeyRef{Name: ref.Name, Key: v1alpha1.DefaultAlertSecretKey}
			}
			var err error
			if u, err = resolve(ctx, *ref); err != nil {
				errs = append(errs, fmt.Errorf("%s.urlSecretRef: %w", path, err))
				continue
			}
		}
		var timeout time.Duration
		if s.Timeout != nil {
			timeout = s.Timeout.Duration
		}
		cfg, err := NewConfig(s.Name, string(s.Provider), u, string(s.Severity), timeout)
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) && ce.Field == "url" && s.URLSecretRef != nil {
				errs = append(errs, fmt.Errorf("%s.urlSecretRef: the Secret's value: %s", path, ce.Message))
			} else {
				errs = append(errs, fmt.Errorf("%s.%w", path, err))
			}
			continue
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs, errors.Join(errs...)
}
