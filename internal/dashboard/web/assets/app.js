// The Sluice dashboard: a list of releases and a release page, both kept
// up to date by server-sent events. No framework: a page's skeleton is
// built once and its parts are refreshed in place, so buttons and links
// stay put while the figures move.
"use strict";

(function () {
  const TOKEN_KEY = "sluice.token";
  const COLORS = { stable: "#2563eb", canary: "#f59e0b" };
  const app = document.getElementById("app");

  // h builds an element: h("td", {class: "x", text: "y", "data-k": 1}, child...).
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") el.textContent = v;
      else if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.appendChild(typeof kid === "string" || typeof kid === "number" ? document.createTextNode(String(kid)) : kid);
    }
    return el;
  }

  // fill replaces an element's children, skipping the absent ones.
  function fill(el, ...kids) {
    el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
  }

  // ---- formatting -------------------------------------------------------
  const missing = (v) => v === null || v === undefined || !isFinite(v);
  // Whole numbers stay whole (axis ticks); others get the digits they need.
  const fmtRate = (v) => (missing(v) ? "–" : Number.isInteger(v) || v >= 10 ? Math.round(v).toString() : v.toFixed(1));
  const fmtPct = (v) => (missing(v) ? "–" : Number.isInteger(v) ? v + "%" : (v >= 99.9 && v < 100 ? v.toFixed(2) : v.toFixed(1)) + "%");
  const fmtMs = (v) => (missing(v) ? "–" : (Number.isInteger(v) || v >= 10 ? Math.round(v) : v.toFixed(1)) + " ms");
  // fmtValue shortens a metric value sent as a decimal string.
  function fmtValue(s) {
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(s)) return s;
    const v = parseFloat(s);
    if (Math.abs(v) >= 100) return v.toFixed(0);
    if (Math.abs(v) >= 10) return v.toFixed(1).replace(/\.0$/, "");
    return v.toFixed(3).replace(/\.?0+$/, "");
  }
  const ms = (s) => (s ? Date.parse(s) : NaN);
  function clock(s) {
    const t = ms(s);
    return isNaN(t) ? "–" : new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }
  function ago(s) {
    const t = ms(s);
    if (isNaN(t)) return "–";
    const sec = Math.max(0, (Date.now() - t) / 1000);
    if (sec < 5) return "just now";
    return window.SluiceCharts.elapsed(sec) + " ago";
  }
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const relPath = (key) => "/releases/" + key.split("/").map(encodeURIComponent).join("/");
  const apiPath = (key) => "/api/releases/" + encodeURIComponent(key);

  // ---- connection and token ---------------------------------------------
  const conn = document.getElementById("conn");
  function setConn(state, text) { conn.dataset.state = state; conn.textContent = text; }

  let info = { readOnly: false, commands: [] };
  let token = "";
  let onTokenChange = () => {};

  function takeToken() {
    const u = new URL(location.href);
    const t = u.searchParams.get("token");
    if (t) {
      sessionStorage.setItem(TOKEN_KEY, t);
      u.searchParams.delete("token");
      history.replaceState(null, "", u.pathname + u.search + u.hash);
    }
    token = sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function renderToken() {
    const st = document.getElementById("token-state");
    const input = document.getElementById("token-input");
    const save = document.getElementById("token-save");
    const forget = document.getElementById("token-forget");
    if (info.readOnly) {
      st.dataset.state = "ro"; st.textContent = "read-only dashboard";
      input.hidden = save.hidden = forget.hidden = true;
      return;
    }
    st.dataset.state = token ? "set" : "none";
    st.textContent = token ? "token set" : "no token";
    input.hidden = save.hidden = !!token;
    forget.hidden = !token;
  }

  document.getElementById("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("token-input");
    token = input.value.trim();
    input.value = "";
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    renderToken();
    onTokenChange();
  });
  document.getElementById("token-forget").addEventListener("click", () => {
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    renderToken();
    onTokenChange();
  });

  function crumbs(items) {
    const nav = document.getElementById("crumbs");
    fill(nav, ...items.flatMap((it, i) => [i ? " / " : "", it.href ? h("a", { href: it.href, text: it.text }) : h("span", { text: it.text })]));
  }

  // live opens a stream and dispatches its events by name.
  function live(url, handlers) {
    const es = new EventSource(url);
    es.addEventListener("open", () => setConn("live", "live"));
    es.addEventListener("error", () => setConn("retrying", "reconnecting…"));
    for (const [name, fn] of Object.entries(handlers)) {
      es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    }
    window.addEventListener("pagehide", () => es.close());
    return es;
  }

  function pill(phase) { return h("span", { class: "pill", "data-phase": phase || "", text: phase || "Unknown" }); }
  function badge(health, reason) { return h("span", { class: "badge", "data-health": health, title: reason || "", text: health }); }
  function wbar(weight, big) {
    const bar = h("div", { class: "wbar" + (big ? " big" : ""), role: "img", "aria-label": `canary ${weight}%, stable ${100 - weight}%` }, h("i"));
    bar.firstChild.style.width = weight + "%";
    return bar;
  }

  // ---- the list of releases ----------------------------------------------
  function listPage() {
    crumbs([{ text: "Releases" }]);
    document.title = "Releases · Sluice";
    const body = h("tbody");
    const empty = h("p", { class: "empty", hidden: true },
      "No releases yet. Start one with ", h("code", { text: "sluice run -f release.yaml" }), " or ", h("code", { text: "sluice demo" }), ".");
    const table = h("table", { id: "releases" },
      h("thead", {}, h("tr", {}, ["Release", "Phase", "Health", "Step", "Canary weight", "Versions", "Checks", "Updated"].map((t) => h("th", { text: t })))),
      body);
    const problem = h("div", { class: "notice", "data-kind": "error", hidden: true });
    fill(app, h("div", { class: "card" }, h("h2", { text: "Releases" }), problem, table, empty));
    const rows = new Map();
    let last = [];
    live("/api/events", {
      list: (list) => {
        problem.hidden = true;
        last = list.releases || [];
        render();
      },
      problem: (e) => { problem.textContent = e.error; problem.hidden = false; },
    });
    setInterval(() => render(), 5000); // "updated … ago"
    function render() {
      empty.hidden = last.length > 0;
      table.hidden = last.length === 0;
      const keep = new Set();
      for (const s of last) {
        keep.add(s.key);
        let tr = rows.get(s.key);
        if (!tr) {
          tr = h("tr", { class: "row", "data-key": s.key });
          rows.set(s.key, tr);
        }
        body.appendChild(tr); // keeps the order of the list
        const step = s.stepCount ? `${Math.min(s.stepIndex + 1, s.stepCount)}/${s.stepCount}` : "–";
        fill(tr,
          h("td", {}, h("a", { class: "name", href: relPath(s.key), text: s.name }), s.namespace ? h("div", { class: "muted", text: s.namespace }) : null),
          h("td", {}, pill(s.paused && s.phase === "Progressing" ? "Paused" : s.phase)),
          h("td", {}, badge(s.health, s.healthReason)),
          h("td", {}, h("div", { text: step }), s.step ? h("div", { class: "muted", text: s.step }) : null),
          h("td", { class: "weight" }, h("div", { class: "wrow" }, wbar(s.canaryWeight), h("b", { text: s.canaryWeight + "%" }))),
          h("td", { text: [s.stable, s.canary].filter(Boolean).join(" → ") || "–" }),
          h("td", {}, h("span", { class: "verdict", "data-verdict": "Pass", text: `${s.analysis.passed} passed` }), " · ",
            h("span", { class: "verdict", "data-verdict": s.analysis.failed ? "Fail" : "NoData", text: `${s.analysis.failed} failed` })),
          h("td", { class: "muted", text: ago(s.updatedAt) }),
        );
      }
      for (const [k, tr] of rows) if (!keep.has(k)) { tr.remove(); rows.delete(k); }
    }
  }

  // ---- a release ------------------------------------------------------------
  const ACTIONS = [
    { cmd: "promote", label: "Promote", cls: "primary", when: (p, paused) => ["Progressing", "Paused", "Initializing"].includes(p) || (paused && !terminal(p)) },
    { cmd: "pause", label: "Pause", when: (p, paused) => ["Progressing", "Initializing"].includes(p) && !paused },
    { cmd: "resume", label: "Resume", when: (p, paused) => (p === "Paused" || paused) && !terminal(p) },
    { cmd: "abort", label: "Abort", cls: "danger", when: (p) => ["Progressing", "Paused", "Initializing", "Promoting"].includes(p) },
    { cmd: "retry", label: "Retry", when: (p) => p === "RolledBack" },
  ];
  const terminal = (p) => p === "Promoted" || p === "RolledBack";

  function releasePage(key) {
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
      h("section", { class: "card" }, h("h2", { text: "Over the release" }), h("div", { class: "charts" }, charts.map((c) => c.box))),
      h("div", { class: "grid2" },
        id("analysis", "section", { class: "card" }),
        id("details", "section", { class: "card" })),
      h("section", { class: "card" }, h("h2", { text: "Decisions" }), id("decisions", "ol", { class: "decisions" })),
    ));

    let view = null;
    let busy = false;
    let checks = [];
    onTokenChange = () => view && renderActions(view);
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
      if (token) headers.Authorization = "Bearer " + token;
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
        b.disabled = busy || info.readOnly;
        b.title = info.readOnly ? "read-only dashboard: started without a token" : "";
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

    function renderCharts(v) {
      const pts = v.checks || [];
      const t = pts.map((p) => ms(p.time));
      const pair = (f) => ["stable", "canary"].map((n) => ({ name: n, color: COLORS[n], points: pts.map((p, i) => [t[i], f(p[n])]) }));
      const specs = [
        { title: "Canary weight", format: (x) => Math.round(x) + "%", yMin: 0, yMax: 100,
          series: [{ name: "canary", color: COLORS.canary, step: true, area: true, points: pts.map((p, i) => [t[i], p.weight]) }] },
        { title: "Request rate", format: (x) => fmtRate(x), series: pair((x) => x.rps) },
        { title: "Success rate", format: (x) => fmtPct(x), yMax: 100, minSpan: 5, floor: 0, series: pair((x) => x.successRate ?? null) },
        { title: "p99 latency", format: (x) => fmtMs(x), series: pair((x) => x.p99Millis ?? null) },
      ];
      specs.forEach((spec, i) => {
        window.SluiceCharts.draw(charts[i].plot, spec);
        const last = pts[pts.length - 1];
        fill(charts[i].legend, ...spec.series.map((s) => h("span", { class: "k " + s.name },
          s.name + " " + (last ? spec.format(s.points[s.points.length - 1][1] ?? NaN) : "–"))));
        if (i === 1) charts[i].legend.appendChild(h("span", { text: "req/s" }));
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
          isNaN(started) ? "" : ` · running for ${window.SluiceCharts.elapsed((end - started) / 1000)}`,
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

  // ---- start -------------------------------------------------------------------
  async function start() {
    takeToken();
    try {
      const res = await fetch("/api/info");
      if (res.ok) info = await res.json();
    } catch (_) { /* the streams will say */ }
    renderToken();
    const p = location.pathname;
    if (p.startsWith("/releases/") && p.length > "/releases/".length) {
      releasePage(p.slice("/releases/".length).split("/").map(decodeURIComponent).join("/"));
    } else {
      listPage();
    }
  }
  start();
})();
