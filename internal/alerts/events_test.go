package alerts

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

// TestNotifyEvents sends one step's events to a receiver that wants
// everything and one that wants errors only.
func TestNotifyEvents(t *testing.T) {
	all := newReceiver(t, 0, nil)
	errorsOnly := newReceiver(t, 0, nil)
	cfgs := []Config{
		mustConfig(t, "all", ProviderWebhook, all.URL, SeverityInfo, 5*time.Second),
		mustConfig(t, "errors", ProviderWebhook, errorsOnly.URL, SeverityError, 5*time.Second),
	}
	events := []engine.Event{
		{Reason: engine.ReasonStepStarted, Step: 3, Steps: 6, StepText: "setWeight: 30"},
		{Reason: engine.ReasonCheckFailed, Failed: 2, Threshold: 2, Detail: "request-success-rate 91 < 99", Warning: true},
		{Reason: engine.ReasonThresholdReached, Failed: 2, Threshold: 2, Detail: "request-success-rate 91 < 99", Warning: true, From: v1alpha1.PhaseProgressing, To: v1alpha1.PhaseRollingBack},
	}
	var d Dispatcher
	st := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRollingBack}
	d.NotifyEvents(context.Background(), cfgs, "shop", "api", st, events, time.Unix(1772360430, 0))
	d.NotifyEvents(context.Background(), nil, "shop", "api", st, events, time.Unix(1772360430, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	reasons := func(r *receiver) string {
		var out []string
		for _, req := range r.requests() {
			var a Alert
			mustUnmarshal(t, req.Body, &a)
			out = append(out, string(a.Severity)+":"+a.Reason)
		}
		return fmt.Sprint(out)
	}
	if got, want := reasons(all), "[warn:CheckFailed error:ThresholdReached]"; got != want {
		t.Errorf("receiver of all alerts got %s, want %s", got, want)
	}
	if got, want := reasons(errorsOnly), "[error:ThresholdReached]"; got != want {
		t.Errorf("receiver of errors got %s, want %s", got, want)
	}
}

func TestNilDispatcher(t *testing.T) {
	var d *Dispatcher
	cfgs := []Config{mustConfig(t, "x", ProviderWebhook, "http://127.0.0.1:9/", SeverityInfo, time.Second)}
	d.NotifyEvents(context.Background(), cfgs, "shop", "api", v1alpha1.ReleaseStatus{}, []engine.Event{{Reason: "CheckFailed"}}, time.Now())
	d.Notify(context.Background(), cfgs, alertOf(SeverityError, "x"))
	if res := d.Send(context.Background(), cfgs, alertOf(SeverityError, "x")); res != nil {
		t.Errorf("a nil dispatcher sent: %+v", res)
	}
	if err := d.Wait(context.Background()); err != nil {
		t.Error(err)
	}
}
