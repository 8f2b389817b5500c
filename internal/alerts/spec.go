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

// Sources are where a shell can read the receivers' addresses that the
// release keeps out of its text: Secrets on Kubernetes, the environment of
// `sluice run` locally. A nil source cannot be read.
type Sources struct {
	Secret URLResolver
	Env    func(name string) (string, bool)
}

// ConfigsFromSpec checks a release's spec.alerts and resolves their URLs,
// so the shells hold receivers ready to post. It returns every good
// receiver even when others are bad — one unreadable Secret must not
// silence the rest — and an error naming each bad one's field, such as
// spec.alerts[1].url; the URL itself never appears in it.
func ConfigsFromSpec(ctx context.Context, specs []v1alpha1.Alert, src Sources) ([]Config, error) {
	cfgs := make([]Config, 0, len(specs))
	var errs []error
	for i, s := range specs {
		path := fmt.Sprintf("spec.alerts[%d]", i)
		u := s.URL
		if name := s.URLFromEnv; name != "" {
			if src.Env == nil {
				errs = append(errs, fmt.Errorf("%s.urlFromEnv: this release cannot read the environment; use urlSecretRef", path))
				continue
			}
			v, ok := src.Env(name)
			if !ok || v == "" {
				errs = append(errs, fmt.Errorf("%s.urlFromEnv: %s is not set", path, name))
				continue
			}
			u = v
		}
		if ref := s.URLSecretRef; ref != nil {
			if src.Secret == nil {
				errs = append(errs, fmt.Errorf("%s.urlSecretRef: this release cannot read Secrets", path))
				continue
			}
			if ref.Key == "" {
				ref = &v1alpha1.SecretKeyRef{Name: ref.Name, Key: v1alpha1.DefaultAlertSecretKey}
			}
			var err error
			if u, err = src.Secret(ctx, *ref); err != nil {
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
			// A bad URL read from elsewhere is blamed on the field that
			// named the place, never shown.
			var ce *ConfigError
			isURL := errors.As(err, &ce) && ce.Field == "url"
			switch {
			case isURL && s.URLSecretRef != nil:
				errs = append(errs, fmt.Errorf("%s.urlSecretRef: the Secret's value: %s", path, ce.Message))
			case isURL && s.URLFromEnv != "":
				errs = append(errs, fmt.Errorf("%s.urlFromEnv: %s's value: %s", path, s.URLFromEnv, ce.Message))
			default:
				errs = append(errs, fmt.Errorf("%s.%w", path, err))
			}
			continue
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs, errors.Join(errs...)
}
