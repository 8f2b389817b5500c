// A release's page: its skeleton is built once and its parts are
// refreshed in place from the release's live stream, so buttons stay put
// while the figures move. Chart points arrive as deltas and are kept here.
"use strict";

(function () {
  const {
    COLORS, session, h, fill, fmtRate, fmtPct, fmtMs, fmtValue, ms, clock, cap,
    apiPath, setConn, crumbs, live, wbar,
  } = window.Sluice;

  const ACTIONS = [
    { cmd: "promote", label: "Promote", cls: "primary", when: (p, paused) => ["Progressing", "Paused", "Initializing"].includes(p) || (paused && !terminal(p)) },
    { cmd: "pause", label: "Pause", when: (p, paused) => ["Progressing", "Initializing"].includes(p) && !paused },
    { cmd: "resume", label: "Resume", when: (p, paused) => (p === "Paused" || paused) && !terminal(p) },
    { cmd: "abort", label: "Abort", cls: "danger", when: (p) => ["Progressing", "Paused", "Initializing", "Promoting"].includes(p) },
    { cmd: "retry", label: "Retry", when: (p) => p === "RolledBack" },
  ];
  const terminal = (p) => p === "Promoted" || p === "RolledBack";

  function releasePage(app, key) {
    crumbs([{ text: "Releases", href: "/" }, { text: key }]);
    document.title = key + " · Sluice";
    const el = {};
    const id = (name, tag, attrs, ...kids) => (el[name] = h(tag, Object.assign({ id: name }, attrs || {}), ...kids));

    const buttons = ACTIONS.map((a) => h("button", { id: "btn-" + a.cmd, class: a.cls, type: "button", disabled: true, text: a.label, onclick: () => send(a) }));
    const charts = [
      ["chart-weight", "Canary weight"], ["chart-rps", "Request rate"],
      ["chart-success", "Success rate"], ["chart-p99", "p99 latency"],
    ].map(([cid, title]) => {
      const legend = h("div", { class: "legend" });
      const plot = h("div", { class: "plot" });
      const box = h("div", { class: "chart", id: cid }, h("div", { class: "chead" }, h("span", { class: "ctitle", text: title }), legend), plot);
      return { box, legend, plot };
    });

    fill(app, h("div", { class: "stack" },
      h("section", { class: "card" },
        h("div", { class: "rhead" },
          h("div", { class: "title" }, id("rel-name", "h1", { text: key }), id("rel-sub", "div", { class: "sub" })),
          id("phase", "span", { class: "pill" }), id("health", "span", { class: "badge" }),
          h("div", { class: "actions" }, buttons)),
        id("message", "p", { class: "message" }),
        id("action-message", "div", { class: "notice", role: "status", "aria-live": "polite", hidden: true }),
        id("problem", "div", { class: "notice", "data-kind": "error", hidden: true })),
      h("section", { class: "card weightcard" },
        h("div", { class: "side stable" }, "stable", id("stable-weight", "b")),
        id("weight-bar", "div"),
        h("div", { class: "side canary" }, "canary", id("weight", "b"))),
      h("section", { class: "card" }, h("h2", { text: "Steps" }), id("timeline", "ol", { class: "timeline" })),
      h("div", { class: "grid2" }, id("version-stable", "section", { class: "card version stable" }), id("version-canary", "section", { class: "card version canary" })),
      h("section", { class: "card" }, h("h2", { text: "Over the release" }),
        id("notes", "div", { class: "notice", "data-kind": "info", role: "note", hidden: true }),
        h("div", { class: "charts" }, charts.map((c) => c.box))),
      h("div", { class: "grid2" },
        id("analysis", "section", { class: "card" }),
        id("details", "section", { class: "card" })),
      h("section", { class: "card" }, h("h2", { text: "Decisions" }), id("decisions", "ol", { class: "decisions" })),
    ));

    let view = null;
    let busy = false;
    let checks = [];
    session.onTokenChange = () => view && renderActions(view);
    window.addEventListener("resize", () => view && renderCharts(view));

    live(apiPath(key) + "/events", {
      release: (v) => {
        if (v.delta) {
          const from = ms(v.checksFrom);
          checks = checks.filter((p) => ms(p.time) >= from).concat(v.checks || []);
        } else {
          checks = v.checks || [];
        }
        v.checks = checks;
        view = v;
        el.problem.hidden = true;
        render(v);
      },
      problem: (e) => { el.problem.textContent = e.error; el.problem.hidden = false; },
    });

    function notice(kind, text) {
      el["action-message"].dataset.kind = kind;
      el["action-message"].textContent = text;
      el["action-message"].hidden = false;
    }

    async function send(a) {
      busy = true;
      renderActions(view);
      const headers = {};
      if (session.token) headers.Authorization = "Bearer " + session.token;
      try {
        const res = await fetch(apiPath(key) + "/" + a.cmd, { method: "POST", headers });
        const body = await res.json().catch(() => ({}));
        if (res.ok) notice("ok", `${a.label} sent: the release acts on it at its next tick.`);
        else if (res.status === 401) notice("error", `${a.label} refused: ${body.error}. Enter the token at the top right.`);
        else notice("error", `${a.label} refused: ${body.error || res.statusText}`);
      } catch (err) {
        notice("error", `${a.label} failed: ${err}`);
      } finally {
        busy = false;
        renderActions(view);
      }
    }

    function renderActions(v) {
      if (!v) return;
      const phase = v.release.status.phase;
      const paused = !!v.release.spec.paused;
      for (const [i, a] of ACTIONS.entries()) {
        const b = buttons[i];
        // Only what makes sense now is shown; nothing once the runner is gone.
        b.hidden = !v.live || !a.when(phase, paused);
        b.disabled = busy || session.info.readOnly;
        b.title = session.info.readOnly ? "read-only dashboard: started without a token" : "";
      }
    }

    function render(v) {
      const rel = v.release, st = rel.status || {};
      const phase = st.phase || "Unknown";
      const shown = rel.spec.paused && phase === "Progressing" ? "Paused" : phase;
      el.phase.dataset.phase = shown; el.phase.textContent = shown;
      el.health.dataset.health = v.health; el.health.textContent = v.health; el.health.title = v.healthReason || "";
      const sub = [];
      if (rel.metadata.namespace) sub.push("namespace " + rel.metadata.namespace);
      if (st.startedAt) sub.push("started " + clock(st.startedAt) + (st.finishedAt ? ", ended " + clock(st.finishedAt) : ""));
      sub.push(v.live ? "live" : "saved status (runner not running)");
      el["rel-sub"].textContent = sub.join(" · ");
      el.message.textContent = st.message || "";
      setConn(v.live ? "live" : "saved", v.live ? "live" : "saved status");
      document.title = `${shown} ${st.canaryWeight || 0}% · ${rel.metadata.name} · Sluice`;

      const w = st.canaryWeight || 0;
      el.weight.textContent = w + "%"; el.weight.dataset.weight = w;
      el["stable-weight"].textContent = (100 - w) + "%";
      fill(el["weight-bar"], wbar(w, true));

      renderActions(v);
      renderTimeline(v);
      for (const name of ["stable", "canary"]) renderVersion(el["version-" + name], name, (v.versions || []).find((x) => x.name === name), rel);
      renderNotes(v.notes || []);
      renderCharts(v);
      renderAnalysis(v);
      renderDetails(v);
      renderDecisions(st.history || []);
    }

    function renderTimeline(v) {
      const plan = v.plan || [];
      const items = plan.map((s) => h("li", { "data-state": s.state, "data-index": s.index, title: s.text },
        h("span", { class: "kind", text: s.kind === "setWeight" ? "weight" : s.kind }),
        s.kind === "setWeight" ? s.weight + "%" : s.text.replace(/^(pause|analysis):? ?/, ""),
      ));
      const st = v.release.status;
      const endState = st.phase === "Promoted" ? "done" : st.phase === "Promoting" ? "current" : st.phase === "RolledBack" ? "failed" : "pending";
      items.push(h("li", { "data-state": endState }, h("span", { class: "kind", text: "end" }),
        st.phase === "RolledBack" ? "rolled back" : "promote"));
      fill(el.timeline, ...items);
    }

    function renderVersion(box, name, ver, rel) {
      ver = ver || { name };
      const state = ver.running === false && ver.ready === false ? "stopped" : ver.ready ? "ready" : "not ready";
      const fig = (label, value) => h("div", { class: "figure" }, h("div", { class: "label", text: label }), h("div", { class: "value", text: value }));
      fill(box,
        h("div", { class: "vhead" }, h("h3", { text: cap(name) }), h("span", { class: "mono", text: ver.version || "" }), h("span", { class: "muted", text: state })),
        h("div", { class: "figures" },
          fig("weight", (ver.weight ?? 0) + "%"),
          fig("requests/s", fmtRate(ver.rps)),
          fig("success", fmtPct(ver.successRate)),
          fig("p99", fmtMs(ver.p99Millis))),
        h("dl", {},
          h("dt", { text: "requests" }), h("dd", { text: (ver.requests ?? 0).toLocaleString() }),
          ver.revision ? [h("dt", { text: "revision" }), h("dd", { class: "mono", text: ver.revision, title: ver.revision })] : null,
          ver.url ? [h("dt", { text: "at" }), h("dd", { class: "mono", text: ver.url, title: ver.url })] : null,
          ver.pid ? [h("dt", { text: "pid" }), h("dd", { class: "mono", text: String(ver.pid) })] : null),
      );
    }

    // Notes say what could not be shown (metrics unreachable): gaps in
    // the charts are then not mistaken for a quiet release.
    function renderNotes(notes) {
      el.notes.hidden = notes.length === 0;
      fill(el.notes, ...notes.map((n) => h("div", { text: n })));
    }

    // thresholdOf is the bound a built-in check holds a metric to.
    function thresholdOf(spec, metric, side) {
      const m = ((spec.analysis || {}).metrics || []).find((x) => x.name === metric && !x.query);
      const r = m && m.thresholdRange;
      return r && r[side] !== undefined ? r[side] : undefined;
    }

    // markersOf are the decisions of the release in the charts: the steps
    // it began, the checks that failed, and its end.
    function markersOf(history) {
      const kinds = { StepStarted: "step", CheckFailed: "failed", ThresholdReached: "failed", JudgeFailed: "failed",
        Promoted: "end", RolledBack: "failed", Aborted: "failed", PromotedStep: "step", PromotedFull: "step", Promoting: "step" };
      return (history || []).filter((d) => kinds[d.reason]).map((d) => ({ t: ms(d.time), kind: kinds[d.reason], label: d.reason + ": " + d.message }));
    }

    function renderCharts(v) {
      const pts = v.checks || [];
      const t = pts.map((p) => ms(p.time));
      const st = v.release.status || {};
      const pair = (f) => ["stable", "canary"].map((n) => ({ name: n, color: COLORS[n], dash: n === "canary" ? "6 4" : "", points: pts.map((p, i) => [t[i], f(p[n])]) }));
      // The weight is drawn to the release's last decision, or to now: the
      // last change is never left off the end of the line.
      const weights = pts.map((p, i) => [t[i], p.weight]);
      const lastDecision = ms(((st.history || [])[(st.history || []).length - 1] || {}).time);
      const until = Math.max(t[t.length - 1] || 0, isNaN(lastDecision) ? 0 : lastDecision);
      if (weights.length && until > weights[weights.length - 1][0]) weights.push([until, st.canaryWeight || 0]);
      const win = v.chartWindow ? ` · ${v.chartWindow} windows` : "";
      const min = thresholdOf(v.release.spec, "request-success-rate", "min");
      const max = thresholdOf(v.release.spec, "request-duration", "max");
      const markers = markersOf(st.history);
      const specs = [
        { title: "Canary weight (% of requests)", format: (x) => Math.round(x) + "%", yMin: 0, yMax: 100, markers,
          series: [{ name: "canary", color: COLORS.canary, step: true, area: true, points: weights }] },
        { title: "Request rate (req/s" + win + ")", format: (x) => fmtRate(x), markers, series: pair((x) => x.rps ?? null) },
        { title: "Success rate (% not 5xx" + win + ")", format: (x) => fmtPct(x), yMax: 100, minSpan: 5, floor: 0, markers,
          thresholds: min !== undefined ? [{ value: min, label: "check: min " + fmtPct(min) }] : [], series: pair((x) => x.successRate ?? null) },
        { title: "p99 latency (ms" + win + ")", format: (x) => fmtMs(x), markers,
          thresholds: max !== undefined ? [{ value: max, label: "check: max " + fmtMs(max) }] : [], series: pair((x) => x.p99Millis ?? null) },
      ];
      specs.forEach((spec, i) => {
        charts[i].box.querySelector(".ctitle").textContent = spec.title;
        window.SluiceCharts.draw(charts[i].plot, spec);
        const last = pts[pts.length - 1];
        fill(charts[i].legend, ...spec.series.map((s) => h("span", { class: "k " + s.name },
          s.name + " " + (last ? spec.format(s.points[s.points.length - 1][1] ?? NaN) : "–"))));
      });
    }

    function renderAnalysis(v) {
      const spec = v.release.spec.analysis || {};
      const a = (v.release.status || {}).analysis || {};
      const kv = (label, value) => h("div", {}, h("b", { text: value }), h("span", { text: label }));
      const metrics = a.metrics || [];
      fill(el.analysis,
        h("h2", { text: "Analysis" }),
        h("div", { class: "kv" },
          kv("checks passed", String(a.passedChecks || 0)),
          kv("checks failed", `${a.failedChecks || 0}` + (spec.threshold ? ` / ${spec.threshold}` : "")),
          kv("in a row", String(a.consecutivePasses || 0)),
          kv("every", spec.interval || "1m"),
          kv("last check", a.lastCheckAt ? clock(a.lastCheckAt) : "–")),
        metrics.length ? h("table", {},
          h("thead", {}, h("tr", {}, ["Metric", "Value", "Verdict", ""].map((x) => h("th", { text: x })))),
          h("tbody", {}, metrics.map((m) => h("tr", {},
            h("td", { class: "mono", text: m.name }),
            h("td", { text: m.value ? fmtValue(m.value) : "–", title: m.value || "" }),
            h("td", {}, h("span", { class: "verdict", "data-verdict": m.verdict || "NoData", text: m.verdict || "–" })),
            h("td", { class: "muted", text: m.message || "" }))))) : h("p", { class: "muted", text: spec.metrics && spec.metrics.length ? "No check has run yet." : "No metric checks in this release." }),
        v.judge || spec.judge ? h("div", { class: "judge", id: "judge" },
          h("b", { text: "Statistical judge: " }),
          v.judge ? h("span", { class: "verdict", "data-verdict": v.judge.decision, text: v.judge.decision }) : h("span", { class: "muted", text: "gathering evidence" }),
          v.judge && v.judge.reason ? h("div", { class: "muted", text: v.judge.reason }) : null) : null,
      );
    }

    function renderDetails(v) {
      const st = v.release.status || {};
      const rows = (v.objects || []).map((o) => {
        let name = o.name;
        if (o.kind === "Sluice proxy" && v.proxyAddress) name = v.proxyAddress + " (users send traffic here)";
        return h("tr", {}, h("td", { text: o.role }), h("td", { text: o.kind }), h("td", { class: "mono", text: name }));
      });
      const started = ms(st.startedAt);
      const end = st.finishedAt ? ms(st.finishedAt) : Date.now();
      fill(el.details,
        h("h2", { text: "Workloads and traffic" }),
        h("table", {}, h("tbody", {}, rows)),
        h("p", { class: "muted" },
          `Step ${Math.min((st.stepIndex || 0) + 1, st.stepCount || 0)} of ${st.stepCount || 0}`,
          isNaN(started) ? "" : ` · ${st.finishedAt && terminal(st.phase) ? "ran" : "running"} for ${window.SluiceCharts.elapsed((end - started) / 1000)}`,
          ` · updated ${clock(v.updatedAt)}`),
      );
    }

    function renderDecisions(history) {
      const items = history.slice().reverse().map((d) => h("li", { class: d.warning ? "warning" : "" },
        h("span", { class: "time", text: clock(d.time) }),
        h("span", { class: "reason", text: d.reason }),
        h("span", { class: "text", text: d.message })));
      if (!items.length) items.push(h("li", { class: "muted", text: "No decision yet." }));
      fill(el.decisions, ...items);
    }
  }

  window.SluiceRelease = releasePage;
})();
