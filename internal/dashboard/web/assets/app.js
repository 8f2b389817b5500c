// The Sluice dashboard: a list of releases and a release page, both kept
// up to date by server-sent events. No framework and no build step: plain
// scripts, loaded in order (charts, ui, list, release, then this one).
"use strict";

(function () {
  const { session, takeToken, renderToken } = window.Sluice;
  const app = document.getElementById("app");

  async function start() {
    takeToken();
    try {
      const res = await fetch("/api/info");
      if (res.ok) session.info = await res.json();
    } catch (_) { /* the streams will say */ }
    renderToken();
    const p = location.pathname;
    if (p.startsWith("/releases/") && p.length > "/releases/".length) {
      window.SluiceRelease(app, p.slice("/releases/".length).split("/").map(decodeURIComponent).join("/"));
    } else {
      window.SluiceList(app);
    }
  }
  start();
})();
