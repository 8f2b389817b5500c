package v1alpha1

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WebhookTypes lists every WebhookType in the order a release reaches
// them, for messages and for callers that dispatch on the type.
var WebhookTypes = []WebhookType{
	WebhookPreRollout, WebhookRollout, WebhookConfirmPromotion,
	WebhookPostRollout, WebhookRollback, WebhookEvent,
}

// The CRD's MaxItems for spec.webhooks.
const maxWebhooks = 20

// MaxWebhookTimeout bounds a webhook's timeout: a tick waits for its
// gates, and a hook that may hang for an hour would hold the release (and,
// on Kubernetes, a worker of the controller) that long. A load test that
// runs longer answers at once and reports through the next call.
const MaxWebhookTimeout = 5 * time.Minute

func validateWebhooks(hooks []Webhook, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = appendErr(errs, tooMany(p, len(hooks), maxWebhooks, "webhooks"))
	names := newNameSet(p, "webhook")
	for i := range hooks {
		h, hp := &hooks[i], p.Index(i)
		errs = append(errs, names.check(i, h.Name)...)
		tp := hp.Child("type")
		switch {
		case h.Type == "":
			errs = append(errs, field.Required(tp, "must be set: one of "+webhookTypeList()+
				" (a Flagger webhook without a type, such as a load test, is type: rollout)"))
		case !slices.Contains(WebhookTypes, h.Type):
			errs = append(errs, &field.Error{Type: field.ErrorTypeNotSupported, Field: tp.String(), BadValue: string(h.Type),
				Detail: fmt.Sprintf("%q is not a webhook type; use %s", h.Type, webhookTypeList())})
		}

		if h.URL == "" {
			errs = append(errs, field.Required(hp.Child("url"), "must be set, such as http://loadtester.test/"))
		} else {
			errs = appendErr(errs, httpURL(hp.Child("url"), h.URL))
		}
		errs = appendErr(errs, positiveDuration(hp.Child("timeout"), h.Timeout))
		if h.Timeout != nil && h.Timeout.Duration > MaxWebhookTimeout {
			errs = append(errs, field.Invalid(hp.Child("timeout"), h.Timeout.Duration.String(), fmt.Sprintf("%s is longer than the %s a webhook may take", h.Timeout.Duration, MaxWebhookTimeout)))
		}
	}
	return errs
}

func webhookTypeList() string {
	names := make([]string, len(WebhookTypes))
	for i, t := range WebhookTypes {
		names[i] = string(t)
	}
	return orList(names)
}
