// The list of releases: one row each, kept in place and refreshed by the
// list's live stream.
"use strict";

(function () {
  const { h, fill, crumbs, live, pill, badge, wbar, relPath, ago } = window.Sluice;

  function listPage(app) {
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

  window.SluiceList = listPage;
})();
