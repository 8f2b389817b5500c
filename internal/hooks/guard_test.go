package hooks

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestNoLinkLocal(t *testing.T) {
	rcv := newReceiver(t, status(http.StatusOK, ""))
	c := &Caller{HTTP: NoLinkLocal()}
	tests := map[string]struct {
		url  string
		ok   bool
		want string
	}{
		"a loopback receiver":   {url: rcv.URL, ok: true},
		"the metadata endpoint": {url: "http://169.254.169.254/latest/meta-data/", want: "is link-local"},
		"link-local IPv6":       {url: "http://[fe80::1]:8080/", want: "is link-local"},
		"AWS metadata on IPv6":  {url: "http://[fd00:ec2::254]/", want: "instance-metadata address"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			res := c.Call(ctx, v1alpha1.Webhook{Name: "h", Type: v1alpha1.WebhookRollout, URL: tc.url}, Payload{Name: "api"})
			if res.OK != tc.ok || !strings.Contains(res.Message, tc.want) {
				t.Fatalf("Call = %+v, want ok %v and %q", res, tc.ok, tc.want)
			}
			if strings.Contains(res.Message, "meta-data") {
				t.Errorf("the message quotes the URL: %s", res.Message)
			}
			if !tc.ok && time.Since(start) > time.Second {
				t.Errorf("the refusal took %s: it must not try to connect", time.Since(start))
			}
		})
	}
}
