package engine

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	"sluice.dev/sluice/api/v1alpha1"
)

func TestStepTransitions(t *testing.T) {
	type want struct {
		phase   v1alpha1.Phase
		step    int32
		weight  int32
		failed  int32
		message string // substring
	}
	tests := map[string]struct {
		plan func(*Plan)
		last v1alpha1.ReleaseStatus
		obs  Observation
		want want
	}{
		"new status waits for stable": {
			obs:  func() Observation { o := obs(0, nil); o.StableReady = false; return o }(),
			want: want{phase: v1alpha1.PhaseInitializing, message: "stable"},
		},
		"stable ready with a different canary starts the release": {
			obs:  obs(0, w(0)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10, message: "setting canary weight to 10%"},
		},
		"same revisions wait": {
			obs:  func() Observation { o := obs(0, w(0)); o.CanaryRevision = "s1"; return o }(),
			want: want{phase: v1alpha1.PhaseWaiting},
		},
		"setWeight completes when the router agrees": {
			last: progressing(0, 10),
			obs:  obs(1, w(10)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10, message: "analysis, 0/2"},
		},
		"setWeight holds while the router disagrees": {
			last: progressing(0, 10),
			obs:  obs(1, w(0)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10},
		},
		"setWeight holds while the router weight is unknown": {
			last: progressing(0, 10),
			obs:  obs(1, nil),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10},
		},
		"analysis step counts passes": {
			last: progressing(1, 10),
			obs:  func() Observation { o := obs(10, w(10)); o.Check = pass(); return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10, message: "1/2"},
		},
		"analysis step completes after enough passes": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(1, 10); s.Analysis.ConsecutivePasses = 1; return s }(),
			obs:  func() Observation { o := obs(20, w(10)); o.Check = pass(); return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 2, weight: 10, message: "pausing 1m0s"},
		},
		"failed check counts and holds": {
			last: progressing(1, 10),
			obs:  func() Observation { o := obs(10, w(10)); o.Check = fail(); return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10, failed: 1},
		},
		"threshold of failed checks rolls back": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(1, 10); s.Analysis.FailedChecks = 2; return s }(),
			obs:  func() Observation { o := obs(10, w(10)); o.Check = fail(); return o }(),
			want: want{phase: v1alpha1.PhaseRollingBack, step: 1, weight: 0, failed: 3, message: "3 failed checks reached the threshold of 3"},
		},
		"rollback ends when the router is at 0": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(1, 0); s.Phase = v1alpha1.PhaseRollingBack; return s }(),
			obs:  obs(11, w(0)),
			want: want{phase: v1alpha1.PhaseRolledBack, step: 1, weight: 0},
		},
		"no data holds and never passes": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(1, 10); s.Analysis.ConsecutivePasses = 1; return s }(),
			obs:  func() Observation { o := obs(10, w(10)); o.Check = noData(); return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10, message: "0/2"},
		},
		"no data past the timeout counts as a failure": {
			last: func() v1alpha1.ReleaseStatus {
				s := progressing(1, 10)
				s.Analysis.NoDataSince = s.StartedAt.DeepCopy()
				return s
			}(),
			obs:  func() Observation { o := obs(40, w(10)); o.Check = noData(); return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10, failed: 1},
		},
		"timed pause holds before its end": {
			last: progressing(2, 10),
			obs:  obs(59, w(10)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 2, weight: 10, message: "1s left"},
		},
		"timed pause ends and the next weight is set": {
			last: progressing(2, 10),
			obs:  obs(60, w(10)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 3, weight: 50},
		},
		"indefinite pause pauses": {
			last: progressing(4, 50),
			obs:  obs(100, w(50)),
			want: want{phase: v1alpha1.PhasePaused, step: 4, weight: 50, message: "until promoted"},
		},
		"promote moves past an indefinite pause and promotes": {
			last: func() v1alpha1.ReleaseStatus { s := passed(4, 50); s.Phase = v1alpha1.PhasePaused; return s }(),
			obs: func() Observation {
				o := obs(100, w(50))
				o.Command = &Command{ID: "1", Kind: CommandPromote}
				return o
			}(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 50, message: "stable is taking canary c1"},
		},
		"promotion waits for stable to run the canary": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(5, 50); s.Phase = v1alpha1.PhasePromoting; return s }(),
			obs:  obs(101, w(50)),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 50, message: "waiting for it to be ready"},
		},
		"promotion waits for stable to be ready": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(5, 50); s.Phase = v1alpha1.PhasePromoting; return s }(),
			obs:  func() Observation { o := obs(101, w(50)); o.StableRevision = "c1"; o.StableReady = false; return o }(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 50},
		},
		"promotion sends traffic back to stable": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(5, 50); s.Phase = v1alpha1.PhasePromoting; return s }(),
			obs:  func() Observation { o := obs(101, w(50)); o.StableRevision = "c1"; return o }(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 0},
		},
		"promotion ends at weight 0": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(5, 0); s.Phase = v1alpha1.PhasePromoting; return s }(),
			obs:  func() Observation { o := obs(102, w(0)); o.StableRevision = "c1"; return o }(),
			want: want{phase: v1alpha1.PhasePromoted, step: 5, weight: 0},
		},
		"abort rolls back": {
			last: progressing(3, 50),
			obs:  func() Observation { o := obs(70, w(50)); o.Command = &Command{ID: "a", Kind: CommandAbort}; return o }(),
			want: want{phase: v1alpha1.PhaseRollingBack, step: 3, weight: 0, message: "aborted by user"},
		},
		"a command already applied is ignored": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(3, 50); s.LastCommand = "a"; return s }(),
			obs:  func() Observation { o := obs(70, w(50)); o.Command = &Command{ID: "a", Kind: CommandAbort}; return o }(),
			want: want{phase: v1alpha1.PhasePaused, step: 4, weight: 50},
		},
		"promote-full skips every step": {
			last: progressing(1, 10),
			obs: func() Observation {
				o := obs(5, w(10))
				o.Command = &Command{ID: "f", Kind: CommandPromoteFull}
				return o
			}(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 10},
		},
		"user pause holds the step": {
			last: progressing(2, 10),
			obs:  func() Observation { o := obs(61, w(10)); o.Paused = true; return o }(),
			want: want{phase: v1alpha1.PhasePaused, step: 2, weight: 10, message: "paused by user"},
		},
		"resume after a user pause carries on": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(2, 10); s.Phase = v1alpha1.PhasePaused; return s }(),
			obs:  obs(61, w(10)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 3, weight: 50},
		},
		"failed checks still roll back while paused": {
			last: func() v1alpha1.ReleaseStatus {
				s := progressing(2, 10)
				s.Phase = v1alpha1.PhasePaused
				s.Analysis.FailedChecks = 2
				return s
			}(),
			obs:  func() Observation { o := obs(61, w(10)); o.Paused = true; o.Check = fail(); return o }(),
			want: want{phase: v1alpha1.PhaseRollingBack, step: 2, weight: 0, failed: 3},
		},
		"canary not ready holds": {
			last: progressing(2, 10),
			obs:  func() Observation { o := obs(61, w(10)); o.CanaryReady = false; return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 2, weight: 10, message: "canary to be ready"},
		},
		"a revert to the stable revision rolls back at once": {
			last: progressing(3, 50),
			obs:  func() Observation { o := obs(70, w(50)); o.CanaryRevision = "s1"; return o }(),
			want: want{phase: v1alpha1.PhaseRollingBack, step: 3, weight: 0, message: "reverted"},
		},
		"stable catching up with an unchanged canary is no revert": {
			last: passed(5, 50),
			obs:  func() Observation { o := obs(70, w(50)); o.StableRevision = "c1"; return o }(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 0},
		},
		"a new revision mid-release starts again": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(3, 50); s.Analysis.FailedChecks = 2; return s }(),
			obs:  func() Observation { o := obs(70, w(50)); o.CanaryRevision = "c2"; return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10, message: "setting canary weight to 10%"},
		},
		"a new revision while waiting starts a release": {
			last: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseWaiting},
			obs:  obs(200, w(0)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10},
		},
		"waiting goes on while revisions are equal": {
			last: v1alpha1.ReleaseStatus{Phase: v1alpha1.PhaseWaiting, StableRevision: "s1", CanaryRevision: "s1"},
			obs:  func() Observation { o := obs(200, w(0)); o.CanaryRevision = "s1"; return o }(),
			want: want{phase: v1alpha1.PhaseWaiting},
		},
		"a new revision after promotion starts a release": {
			last: func() v1alpha1.ReleaseStatus { s := progressing(5, 0); s.Phase = v1alpha1.PhasePromoted; return s }(),
			obs:  func() Observation { o := obs(200, w(0)); o.CanaryRevision = "c2"; return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10},
		},
		"retry restarts a rolled-back release": {
			last: func() v1alpha1.ReleaseStatus {
				s := progressing(3, 0)
				s.Phase = v1alpha1.PhaseRolledBack
				s.Analysis.FailedChecks = 3
				return s
			}(),
			obs:  func() Observation { o := obs(200, w(0)); o.Command = &Command{ID: "r", Kind: CommandRetry}; return o }(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 0, weight: 10},
		},
		"judge failure rolls back at once": {
			last: progressing(1, 10),
			obs: func() Observation {
				o := obs(5, w(10))
				o.Judge = &JudgeResult{Decision: JudgeFail, Reason: "canary errors 1.2% vs 0.1%"}
				return o
			}(),
			want: want{phase: v1alpha1.PhaseRollingBack, step: 1, weight: 0, message: "statistical judge"},
		},
		"judge pass ends an analysis step early when allowed": {
			last: progressing(1, 10),
			obs: func() Observation {
				o := obs(5, w(10))
				o.Judge = &JudgeResult{Decision: JudgePass, AllowEarlyPass: true}
				return o
			}(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 2, weight: 10},
		},
		"promotion waits for the judge when it must pass": {
			plan: func(p *Plan) { p.JudgeGate = true },
			last: passed(5, 50),
			obs: func() Observation {
				o := obs(100, w(50))
				o.Judge = &JudgeResult{Decision: JudgeContinue, Reason: "need 120 more canary requests"}
				return o
			}(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 5, weight: 50, message: "waiting for the statistical judge to pass the canary: need 120 more"},
		},
		"a confirm-promotion gate holds the promotion": {
			last: passed(5, 50),
			obs: func() Observation {
				o := obs(100, w(50))
				o.HoldPromotion = "confirm-promotion webhook said no: 503"
				return o
			}(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 5, weight: 50, message: "promotion held: confirm-promotion webhook said no"},
		},
		"a confirm gate holds until it is asked": {
			plan: func(p *Plan) { p.ConfirmGate = true },
			last: passed(5, 50),
			obs:  obs(100, w(50)),
			want: want{phase: v1alpha1.PhaseProgressing, step: 5, weight: 50, message: "asking the confirm-promotion webhooks"},
		},
		"a confirm gate that said yes lets the promotion go": {
			plan: func(p *Plan) { p.ConfirmGate = true },
			last: passed(5, 50),
			obs:  func() Observation { o := obs(100, w(50)); o.PromotionConfirmed = true; return o }(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 50},
		},
		"promotion goes on once the judge passes": {
			plan: func(p *Plan) { p.JudgeGate = true },
			last: passed(5, 50),
			obs: func() Observation {
				o := obs(100, w(50))
				o.Judge = &JudgeResult{Decision: JudgePass}
				return o
			}(),
			want: want{phase: v1alpha1.PhasePromoting, step: 5, weight: 50},
		},
		"judge pass does not end an analysis step unless allowed": {
			last: progressing(1, 10),
			obs: func() Observation {
				o := obs(5, w(10))
				o.Judge = &JudgeResult{Decision: JudgePass}
				return o
			}(),
			want: want{phase: v1alpha1.PhaseProgressing, step: 1, weight: 10},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			plan := testPlan()
			if tc.plan != nil {
				tc.plan(&plan)
			}
			plan = withHash(plan)
			before := tc.last.DeepCopy()
			got := step(t, plan, tc.last, tc.obs)
			st := got.Status
			if st.Phase != tc.want.phase || st.StepIndex != tc.want.step || st.CanaryWeight != tc.want.weight || st.Analysis.FailedChecks != tc.want.failed {
				t.Fatalf("got phase=%s step=%d weight=%d failed=%d (%q), want %+v", st.Phase, st.StepIndex, st.CanaryWeight, st.Analysis.FailedChecks, st.Message, tc.want)
			}
			if got.Desired.CanaryWeight != st.CanaryWeight {
				t.Errorf("desired weight %d != status weight %d", got.Desired.CanaryWeight, st.CanaryWeight)
			}
			if !strings.Contains(st.Message, tc.want.message) {
				t.Errorf("message %q does not contain %q", st.Message, tc.want.message)
			}
			if meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady) == nil {
				t.Errorf("no Ready condition")
			}
			if len(tc.last.History) != len(before.History) || tc.last.Phase != before.Phase {
				t.Errorf("Step mutated its input")
			}
		})
	}
}

func TestEventsCarryReasons(t *testing.T) {
	last := progressing(1, 10)
	last.Analysis.FailedChecks = 1
	o := obs(10, w(10))
	o.Check = fail()
	got := step(t, testPlan(), last, o)
	if len(got.Events) != 1 || got.Events[0].Message() != "check 2/3 failed: canary success rate 94.8% < 99%" || !got.Events[0].Warning {
		t.Fatalf("events = %+v", got.Events)
	}
	ev := got.Events[0]
	if ev.Reason != ReasonCheckFailed || ev.Failed != 2 || ev.Threshold != 3 || ev.Step != 2 || ev.Weight != 10 || ev.Revision != "c1" {
		t.Fatalf("event fields = %+v", ev)
	}
	if h := got.Status.History; len(h) != 1 || h[0].Reason != string(ReasonCheckFailed) || h[0].CanaryWeight != 10 || h[0].Step != 2 {
		t.Fatalf("history = %+v", h)
	}
}

func TestCheckDue(t *testing.T) {
	tests := map[string]struct {
		st   v1alpha1.ReleaseStatus
		sec  int
		want bool
	}{
		"before the first interval": {st: progressing(1, 10), sec: 9, want: false},
		"at the first interval":     {st: progressing(1, 10), sec: 10, want: true},
		"no traffic to the canary":  {st: progressing(0, 0), sec: 30, want: false},
		"rolling back": {st: func() v1alpha1.ReleaseStatus {
			s := progressing(1, 10)
			s.Phase = v1alpha1.PhaseRollingBack
			return s
		}(), sec: 30, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CheckDue(testPlan(), tc.st, obs(tc.sec, nil).Now); got != tc.want {
				t.Fatalf("CheckDue = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestQuietWhileNothingChanges checks that a release waiting at a pause
// decides nothing new tick after tick, so its history keeps the decisions
// that matter.
func TestQuietWhileNothingChanges(t *testing.T) {
	tests := map[string]struct {
		last v1alpha1.ReleaseStatus
		obs  func(sec int) Observation
	}{
		"indefinite pause step": {
			last: progressing(4, 50),
			obs:  func(sec int) Observation { return obs(100+sec, w(50)) },
		},
		"paused by user": {
			last: progressing(2, 10),
			obs:  func(sec int) Observation { o := obs(30+sec, w(10)); o.Paused = true; return o },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := step(t, testPlan(), tc.last, tc.obs(0)).Status
			for sec := 1; sec <= 5; sec++ {
				res := step(t, testPlan(), st, tc.obs(sec))
				if len(res.Events) != 0 {
					t.Fatalf("tick %d decided again: %+v", sec, res.Events)
				}
				st = res.Status
			}
		})
	}
}
