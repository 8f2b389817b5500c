package convert

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sluice.dev/sluice/api/v1alpha1"
)

// analysis maps spec.analysis: the interval, threshold and weights, the
// metrics (with their MetricTemplates), webhooks and alerts.
func (c *canary) analysis() error {
	s, a, st := c.s, &c.rel.Spec.Analysis, &c.rel.Spec.Strategy
	d, err := s.duration("spec.analysis.interval")
	if err != nil {
		return err
	}
	a.Interval = d
	s.mapTo("spec.analysis.interval", "spec.analysis.interval")
	if n, ok := s.num("spec.analysis.threshold"); ok && n >= 1 {
		a.Threshold = int32(n)
	}
	s.mapTo("spec.analysis.threshold", "spec.analysis.threshold")

	iterations, _ := s.num("spec.analysis.iterations")
	if s.has("spec.analysis.stepWeight") || s.has("spec.analysis.stepWeights") {
		s.drop("spec.analysis.iterations", "iterations count the checks of A/B testing and blue/green; with stepWeight(s) the weights set the pace")
	}
	switch {
	case len(s.list("spec.analysis.stepWeights")) > 0:
		for _, w := range s.list("spec.analysis.stepWeights") {
			if n, ok := w.(int64); ok {
				st.StepWeights = append(st.StepWeights, int32(n))
			}
		}
		s.mapTo("spec.analysis.stepWeights", "spec.strategy.stepWeights")
		s.drop("spec.analysis.maxWeight", "with stepWeights the last weight is the maximum")
		s.drop("spec.analysis.stepWeight", "stepWeights are used instead")
	case s.has("spec.analysis.stepWeight"):
		w, _ := s.num("spec.analysis.stepWeight")
		st.StepWeight = int32(w)
		if m, ok := s.num("spec.analysis.maxWeight"); ok {
			st.MaxWeight = int32(m)
		}
		s.mapTo("spec.analysis.stepWeight", "spec.strategy.stepWeight")
		s.mapTo("spec.analysis.maxWeight", "spec.strategy.maxWeight")
	case iterations > 0 && len(s.list("spec.analysis.match")) > 0:
		st.Steps = []v1alpha1.Step{{Analysis: &v1alpha1.AnalysisStep{Passes: int32(iterations)}}}
		s.mapTo("spec.analysis.iterations", "spec.strategy.steps[0].analysis.passes",
			"A/B testing: the requests of spec.traffic.match go to the canary for that many passing checks, then it is promoted")
	case iterations > 0:
		st.Steps = []v1alpha1.Step{{Pause: &v1alpha1.PauseStep{}}}
		s.drop("spec.analysis.iterations", "Sluice checks a canary only while it gets traffic, so a blue/green run at 0% has nothing to check")
		c.note("blue/green: the Release pauses at 0%% until `sluice promote`, which sends all traffic to the new version at once; to check it on live traffic first, use steps: [{setWeight: 5}, {analysis: {passes: %d}}]", int(iterations))
	default:
		return fmt.Errorf("spec.analysis: no stepWeight, stepWeights or iterations to move traffic by")
	}
	if err := c.metrics(); err != nil {
		return err
	}
	if len(a.Metrics) == 0 {
		// Sluice's shorthand and gates wait for passing checks.
		c.withoutMetrics()
	}
	if err := c.webhooks(); err != nil {
		return err
	}
	c.alerts()
	return nil
}

// withoutMetrics turns weights that would wait for passing checks into
// weights with a pause of one interval each, as Flagger advances them.
func (c *canary) withoutMetrics() {
	st := &c.rel.Spec.Strategy
	weights := st.StepWeights
	if st.StepWeight > 0 {
		maxW := st.MaxWeight
		if maxW == 0 {
			maxW = v1alpha1.DefaultMaxWeight
		}
		for w := st.StepWeight; w <= maxW; w += st.StepWeight {
			weights = append(weights, w)
		}
	}
	if len(weights) == 0 {
		for i := range st.Steps {
			if st.Steps[i].Analysis != nil {
				st.Steps[i] = v1alpha1.Step{Pause: &v1alpha1.PauseStep{}}
				c.note("with no metrics there is nothing to check: the A/B step pauses until `sluice promote`")
			}
		}
		return
	}
	interval := c.rel.Spec.Analysis.Interval
	if interval == nil {
		interval = &metav1.Duration{Duration: v1alpha1.DefaultInterval}
	}
	st.StepWeight, st.StepWeights, st.MaxWeight = 0, nil, 0
	for _, w := range weights {
		st.Steps = append(st.Steps, v1alpha1.Step{SetWeight: int32p(w)}, v1alpha1.Step{Pause: &v1alpha1.PauseStep{Duration: interval}})
	}
	c.note("with no metrics there are no checks to pass: each weight is held one interval (%s), as Flagger advances without metrics", interval.Duration)
}

// cookieMatch is the header match Flagger's docs give for a cookie.
var cookieMatch = regexp.MustCompile(`^\^\(\.\*\?;\)\?\(([A-Za-z0-9_.-]+)=([^()|;*+?\\]+)\)\(;\.\*\)\?\$$`)

// match turns Flagger's A/B rules into spec.traffic.match.
func (c *canary) match() error {
	s := c.s
	for i := range s.list("spec.analysis.match") {
		p := index("spec.analysis.match", i)
		rule := v1alpha1.MatchRule{}
		for _, name := range sortedKeys(s.object(p + ".headers")) {
			hp := join(p+".headers", name)
			m := v1alpha1.StringMatch{Exact: s.str(hp + ".exact"), Prefix: s.str(hp + ".prefix"), Regex: s.str(hp + ".regex")}
			if suf := s.str(hp + ".suffix"); suf != "" {
				m.Regex = ".*" + regexp.QuoteMeta(suf)
			}
			if cm := cookieMatch.FindStringSubmatch(m.Regex); strings.EqualFold(name, "cookie") && cm != nil {
				if rule.Cookies == nil {
					rule.Cookies = map[string]v1alpha1.StringMatch{}
				}
				rule.Cookies[cm[1]] = v1alpha1.StringMatch{Exact: cm[2]}
				s.mapTo(hp, "spec.traffic.match["+fmt.Sprint(i)+"].cookies."+cm[1], "the cookie regex as an exact cookie match")
				continue
			}
			if rule.Headers == nil {
				rule.Headers = map[string]v1alpha1.StringMatch{}
			}
			rule.Headers[name] = m
			s.mapTo(hp, "spec.traffic.match["+fmt.Sprint(i)+"].headers."+name)
		}
		if len(rule.Headers)+len(rule.Cookies) > 0 {
			c.rel.Spec.Traffic.Match = append(c.rel.Spec.Traffic.Match, rule)
		}
	}
	return nil
}

// webhooks maps spec.analysis.webhooks to spec.webhooks. An untyped
// Flagger webhook is a rollout webhook.
func (c *canary) webhooks() error {
	s := c.s
	for i := range s.list("spec.analysis.webhooks") {
		p := index("spec.analysis.webhooks", i)
		to := fmt.Sprintf("spec.webhooks[%d]", len(c.rel.Spec.Webhooks))
		typ := s.str(p + ".type")
		var t v1alpha1.WebhookType
		switch typ {
		case "", "rollout":
			t = v1alpha1.WebhookRollout
		case "pre-rollout", "post-rollout", "confirm-promotion", "rollback", "event":
			t = v1alpha1.WebhookType(typ)
		default:
			s.drop(p, fmt.Sprintf("Sluice has no %s webhook: it gates only the promotion (confirm-promotion); a pre-rollout hook that fails counts as a failed check", typ))
			continue
		}
		name, changed := dnsLabel(s.str(p + ".name"))
		h := v1alpha1.Webhook{Name: name, Type: t, URL: s.str(p + ".url")}
		how := ""
		if changed {
			how = "renamed to a DNS label"
		}
		s.mapTo(p+".name", to+".name", how)
		if typ == "" {
			s.mapTo(p+".url", to+".url")
			c.note("the untyped webhook %q is a rollout webhook, called at every check", name)
		} else {
			s.mapTo(p+".url", to+".url")
		}
		s.mapTo(p+".type", to+".type")
		d, err := s.duration(p + ".timeout")
		if err != nil {
			return err
		}
		if d != nil && d.Duration > v1alpha1.MaxWebhookTimeout {
			s.mapTo(p+".timeout", to+".timeout", fmt.Sprintf("cut to %s, the most a webhook may take: a load test that runs longer answers at once", v1alpha1.MaxWebhookTimeout))
			d = &metav1.Duration{Duration: v1alpha1.MaxWebhookTimeout}
		} else {
			s.mapTo(p+".timeout", to+".timeout")
		}
		h.Timeout = d
		if md := s.object(p + ".metadata"); len(md) > 0 {
			h.Metadata = map[string]string{}
			for k, v := range md {
				h.Metadata[k] = fmt.Sprint(v)
			}
		}
		s.mapTo(p+".metadata", to+".metadata")
		switch cmd := h.Metadata["cmd"]; {
		case strings.HasPrefix(cmd, "hey "):
			c.note("webhook %q runs %q: `sluice loadtester` (the chart's loadtester.enabled) serves Flagger's load tester API and runs it", name, excerpt(cmd, 60))
		case cmd != "":
			c.note("webhook %q runs %q: sluice loadtester runs hey commands only; keep Flagger's load tester for this one", name, excerpt(cmd, 60))
		}
		c.rel.Spec.Webhooks = append(c.rel.Spec.Webhooks, h)
	}
	return nil
}

// excerpt shortens s for a note.
func excerpt(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// alerts maps spec.analysis.alerts through their AlertProviders.
func (c *canary) alerts() {
	s := c.s
	for i := range s.list("spec.analysis.alerts") {
		p := index("spec.analysis.alerts", i)
		ns := s.str(p + ".providerRef.namespace")
		if ns == "" {
			ns = s.obj.namespace()
		}
		ref := s.str(p + ".providerRef.name")
		po := c.in.find(flaggerGroup, "AlertProvider", ns, ref)
		if po == nil {
			s.drop(p, fmt.Sprintf("the AlertProvider %s is not in the input: give it to sluice convert with the Canary", ref))
			continue
		}
		ps := newSource(po, alertProviderReasons)
		c.used = append(c.used, ps)
		ps.mapTo("metadata.name", "the alert of "+s.obj.ref())
		ps.mapTo("metadata.namespace", "the alert of "+s.obj.ref())
		to := fmt.Sprintf("spec.alerts[%d]", len(c.rel.Spec.Alerts))
		var prov v1alpha1.AlertProvider
		switch t := ps.str("spec.type"); t {
		case "slack":
			prov = v1alpha1.AlertSlack
		case "msteams":
			prov = v1alpha1.AlertTeams
		case "discord":
			prov = v1alpha1.AlertDiscord
		default:
			ps.drop("spec", fmt.Sprintf("Sluice sends alerts to Slack, Teams, Discord or a JSON webhook of its own format, not to %s", t))
			s.drop(p, "its AlertProvider is of a type Sluice cannot send to")
			continue
		}
		ps.mapTo("spec.type", to+".provider")
		name, _ := dnsLabel(s.str(p + ".name"))
		al := v1alpha1.Alert{Name: name, Provider: prov, Severity: v1alpha1.AlertSeverity(s.str(p + ".severity"))}
		s.mapTo(p+".name", to+".name")
		s.mapTo(p+".severity", to+".severity")
		s.mapTo(p+".providerRef", to+" (from the AlertProvider)")
		switch {
		case ps.has("spec.secretRef.name"):
			al.URLSecretRef = &v1alpha1.SecretKeyRef{Name: ps.str("spec.secretRef.name"), Key: "address"}
			ps.mapTo("spec.secretRef", to+".urlSecretRef", "the key address, as Flagger reads it")
			ps.drop("spec.address", "the Secret's address is used")
		case ps.has("spec.address"):
			al.URL = ps.str("spec.address")
			ps.mapTo("spec.address", to+".url")
		default:
			ps.drop("spec", "the AlertProvider names no address")
			continue
		}
		c.rel.Spec.Alerts = append(c.rel.Spec.Alerts, al)
	}
}
