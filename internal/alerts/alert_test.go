package alerts

import (
	"testing"
	"time"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/engine"
)

func TestFromEvent(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	progressing := v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 20}
	tests := map[string]struct {
		ev     engine.Event
		st     v1alpha1.ReleaseStatus
		want   Alert
		wantOK bool
	}{
		"release starts": {
			ev:     engine.Event{Reason: "NewRevision", From: v1alpha1.PhaseWaiting, To: v1alpha1.PhaseProgressing},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing, CanaryWeight: 10},
			want:   Alert{Severity: SeverityInfo, Reason: "NewRevision", Phase: "Progressing", FromPhase: "Waiting", CanaryWeight: 10},
			wantOK: true,
		},
		"promoted": {
			ev:     engine.Event{Reason: "Promoted", From: v1alpha1.PhasePromoting, To: v1alpha1.PhasePromoted},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhasePromoted, CanaryWeight: 100},
			want:   Alert{Severity: SeverityInfo, Reason: "Promoted", Phase: "Promoted", FromPhase: "Promoting", CanaryWeight: 100},
			wantOK: true,
		},
		"rolling back": {
			ev:     engine.Event{Reason: "ThresholdReached", Warning: true, From: v1alpha1.PhaseProgressing, To: v1alpha1.PhaseRollingBack},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRollingBack},
			want:   Alert{Severity: SeverityError, Reason: "ThresholdReached", Phase: "RollingBack", FromPhase: "Progressing"},
			wantOK: true,
		},
		"aborted": {
			ev:     engine.Event{Reason: "Aborted", Warning: true, From: v1alpha1.PhasePaused, To: v1alpha1.PhaseRollingBack},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRollingBack},
			want:   Alert{Severity: SeverityError, Reason: "Aborted", Phase: "RollingBack", FromPhase: "Paused"},
			wantOK: true,
		},
		"rolled back": {
			ev:     engine.Event{Reason: "RolledBack", Warning: true, From: v1alpha1.PhaseRollingBack, To: v1alpha1.PhaseRolledBack},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseRolledBack},
			want:   Alert{Severity: SeverityError, Reason: "RolledBack", Phase: "RolledBack", FromPhase: "RollingBack"},
			wantOK: true,
		},
		"a new revision mid-release keeps the phase": {
			ev:     engine.Event{Reason: "NewRevision", From: v1alpha1.PhaseProgressing, To: v1alpha1.PhaseProgressing},
			st:     v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseProgressing},
			want:   Alert{Severity: SeverityInfo, Reason: "NewRevision", Phase: "Progressing", FromPhase: "Progressing"},
			wantOK: true,
		},
		"failed check": {
			ev:     engine.Event{Reason: "CheckFailed", Warning: true},
			st:     progressing,
			want:   Alert{Severity: SeverityWarn, Reason: "CheckFailed", Phase: "Progressing", CanaryWeight: 20},
			wantOK: true,
		},
		"held check": {
			ev:     engine.Event{Reason: "CheckHeld", Warning: true},
			st:     progressing,
			want:   Alert{Severity: SeverityWarn, Reason: "CheckHeld", Phase: "Progressing", CanaryWeight: 20},
			wantOK: true,
		},
		"a step as planned is not news": {
			ev: engine.Event{Reason: engine.ReasonStepStarted},
			st: progressing,
		},
		"the judge passing is not news": {
			ev: engine.Event{Reason: engine.ReasonJudgePassed},
			st: progressing,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := FromEvent(tc.ev, "shop", "api", tc.st, now)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			tc.want.Release, tc.want.Namespace, tc.want.Time = "api", "shop", now
			tc.want.Message = tc.ev.Message()
			if got != tc.want {
				t.Errorf("alert:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    Severity
		wantErr bool
	}{
		"empty is info":             {in: "", want: SeverityInfo},
		"info":                      {in: "info", want: SeverityInfo},
		"warn":                      {in: "warn", want: SeverityWarn},
		"error":                     {in: "error", want: SeverityError},
		"warning is not a severity": {in: "warning", wantErr: true},
		"case matters":              {in: "Error", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseSeverity(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseSeverity(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
	order := []Severity{SeverityInfo, SeverityWarn, SeverityError}
	for i, a := range order {
		for j, min := range order {
			if got := a.AtLeast(min); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", a, min, got)
			}
		}
	}
	if Severity("bogus").AtLeast(SeverityInfo) {
		t.Error("an unknown severity passes an info filter")
	}
}
