// Shared pieces of the dashboard's pages: building elements, formatting
// figures, the live streams, and the session (how the dashboard was
// started, and the token this tab holds).
"use strict";

(function () {
  const TOKEN_KEY = "sluice.token";
  const COLORS = { stable: "#2563eb", canary: "#f59e0b" };

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

  // session is what the pages share: the dashboard's /api/info, the token,
  // and what the page wants done when the token changes.
  const session = { info: { readOnly: false, commands: [] }, token: "", onTokenChange: () => {} };

  function takeToken() {
    const u = new URL(location.href);
    const t = u.searchParams.get("token");
    if (t) {
      sessionStorage.setItem(TOKEN_KEY, t);
      u.searchParams.delete("token");
      history.replaceState(null, "", u.pathname + u.search + u.hash);
    }
    session.token = sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function renderToken() {
    const st = document.getElementById("token-state");
    const input = document.getElementById("token-input");
    const save = document.getElementById("token-save");
    const forget = document.getElementById("token-forget");
    const token = session.token;
    if (session.info.readOnly) {
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
    session.token = input.value.trim();
    input.value = "";
    if (session.token) sessionStorage.setItem(TOKEN_KEY, session.token);
    renderToken();
    session.onTokenChange();
  });
  document.getElementById("token-forget").addEventListener("click", () => {
    session.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    renderToken();
    session.onTokenChange();
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

  window.Sluice = {
    COLORS, session, h, fill, fmtRate, fmtPct, fmtMs, fmtValue, ms, clock, ago, cap,
    relPath, apiPath, setConn, takeToken, renderToken, crumbs, live, pill, badge, wbar,
  };
})();
