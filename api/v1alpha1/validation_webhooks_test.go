package v1alpha1

import (
	"fmt"
	"testing"
	"time"
)

func TestValidateWebhooks(t *testing.T) {
	types := "pre-rollout, rollout, confirm-promotion, post-rollout, rollback or event"
	runValidate(t, map[string]validateCase{
		"every type": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Webhooks = nil
				for _, typ := range WebhookTypes {
					r.Spec.Webhooks = append(r.Spec.Webhooks, Webhook{Name: string(typ), Type: typ, URL: "https://hooks.example.com/" + string(typ)})
				}
			},
		},
		"webhooks on a local release": {
			tc: func(r *Release) {
				r.Spec.Webhooks = []Webhook{{Name: "notify", Type: WebhookEvent, URL: "http://127.0.0.1:9999/events"}}
			},
		},
		"all missing": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Webhooks = append(r.Spec.Webhooks, Webhook{}) },
			want: []string{
				"spec.webhooks[2].name: must be set",
				"spec.webhooks[2].type: must be set: one of " + types + " (a Flagger webhook without a type, such as a load test, is type: rollout)",
				"spec.webhooks[2].url: must be set, such as http://loadtester.test/",
			},
		},
		"name invalid": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Webhooks[0].Name = "Load Test" },
			want: []string{`spec.webhooks[0].name: "Load Test" is not a valid webhook name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit`},
		},
		"names repeated": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Webhooks = append(r.Spec.Webhooks, r.Spec.Webhooks[1], r.Spec.Webhooks[0])
			},
			want: []string{
				`spec.webhooks[2].name: "approve" is already used by spec.webhooks[1]`,
				`spec.webhooks[3].name: "load-test" is already used by spec.webhooks[0]`,
			},
		},
		"type unknown": {
			base: validIstioRelease,
			tc:   func(r *Release) { r.Spec.Webhooks[0].Type = "pre-rolout" },
			want: []string{`spec.webhooks[0].type: "pre-rolout" is not a webhook type; use ` + types},
		},
		"url not absolute http": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Webhooks[0].URL = "loadtester:8080/"
				r.Spec.Webhooks[1].URL = "ftp://gate.example.com/"
			},
			want: []string{
				`spec.webhooks[0].url: "loadtester:8080/" is not an absolute http:// or https:// URL`,
				`spec.webhooks[1].url: "ftp://gate.example.com/" is not an absolute http:// or https:// URL`,
			},
		},
		"timeout not positive": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Webhooks[0].Timeout = dur(0)
				r.Spec.Webhooks[1].Timeout = dur(-time.Second)
			},
			want: []string{
				"spec.webhooks[0].timeout: 0s is not a positive duration",
				"spec.webhooks[1].timeout: -1s is not a positive duration",
			},
		},
		"too many": {
			base: validIstioRelease,
			tc: func(r *Release) {
				r.Spec.Webhooks = nil
				for i := range 21 {
					r.Spec.Webhooks = append(r.Spec.Webhooks, Webhook{Name: fmt.Sprintf("h%d", i), Type: WebhookEvent, URL: "http://h.test/"})
				}
			},
			want: []string{"spec.webhooks: 21 webhooks; at most 20 are allowed"},
		},
	})
}
