// Small hand-drawn SVG line charts for the release page: time on x (since
// the first point), one line per version, gaps where a version had no
// requests, a crosshair with the values under the pointer.
"use strict";

(function () {
  const NS = "http://www.w3.org/2000/svg";
  const PAD = { left: 46, right: 10, top: 8, bottom: 22 };

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  }

  // niceTicks returns about n round values covering [min, max].
  function niceTicks(min, max, n) {
    if (!(max > min)) { max = min + 1; }
    const raw = (max - min) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const lo = Math.floor(min / step) * step;
    const hi = Math.ceil(max / step) * step;
    const out = [];
    for (let v = lo; v <= hi + step / 2 && out.length < 20; v += step) out.push(+v.toFixed(10));
    return out;
  }

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];

  function elapsed(sec) {
    sec = Math.round(sec);
    if (sec < 60) return sec + "s";
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    if (h > 0) return h + "h" + (m ? String(m).padStart(2, "0") : "");
    return m + ":" + String(s).padStart(2, "0");
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  // draw renders spec into the element el (a sized box).
  //   spec.series: [{name, cls, color, dash, points: [[timeMs, value|null]...], step, area}]
  //   spec.format(v): the value as text; spec.yMin/yMax: fixed bounds (optional)
  //   spec.thresholds: [{value, label}]: a check's bound, drawn across
  //   spec.markers: [{t, label, kind}]: decisions (a step began, a check
  //     failed, the end), drawn as vertical lines
  function draw(el, spec) {
    el.textContent = "";
    const W = Math.max(200, el.clientWidth || 480);
    const H = Math.max(100, el.clientHeight || 170);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": spec.title || "chart" }, el);
    const pw = W - PAD.left - PAD.right, ph = H - PAD.top - PAD.bottom;

    const all = [];
    let t0 = Infinity, t1 = -Infinity;
    for (const s of spec.series) {
      for (const [t, v] of s.points) {
        t0 = Math.min(t0, t); t1 = Math.max(t1, t);
        if (v !== null && v !== undefined && isFinite(v)) all.push(v);
      }
    }
    // A bound is part of the picture: the y range always shows it.
    for (const th of spec.thresholds || []) if (isFinite(th.value) && all.length) all.push(th.value);
    if (!isFinite(t0) || all.length === 0) {
      svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "nodata" }, root).textContent = "no data yet";
      return;
    }
    if (t1 - t0 < 1000) t1 = t0 + 1000;
    // The y range: the data's, or the fixed bounds; at least minSpan tall,
    // growing away from a fixed bound; from zero when the data are far above it.
    const fixedLo = spec.yMin !== undefined, fixedHi = spec.yMax !== undefined;
    let lo = fixedLo ? spec.yMin : Math.min(...all);
    let hi = fixedHi ? spec.yMax : Math.max(...all);
    if (!fixedLo && lo > 0 && lo < hi * 0.5) lo = 0;
    const minSpan = spec.minSpan || Math.max(Math.abs(hi) * 0.1, 1e-3);
    if (hi - lo < minSpan) {
      if (fixedHi && !fixedLo) lo = hi - minSpan;
      else hi = lo + minSpan;
    }
    if (spec.floor !== undefined) lo = Math.max(lo, spec.floor);
    const ticks = niceTicks(lo, hi, 4);
    if (!fixedLo) lo = Math.max(Math.min(lo, ticks[0]), spec.floor !== undefined ? spec.floor : -Infinity);
    if (!fixedHi) hi = Math.max(hi, ticks[ticks.length - 1]);

    const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * pw;
    const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * ph;

    const grid = svg("g", { class: "grid" }, root);
    const axis = svg("g", { class: "axis" }, root);
    for (const v of ticks) {
      if (v < lo - 1e-9 || v > hi + 1e-9) continue;
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }, grid);
      svg("text", { x: PAD.left - 6, y: y(v) + 3.5, "text-anchor": "end" }, axis).textContent = spec.format(v, true);
    }
    const span = (t1 - t0) / 1000;
    const step = TIME_STEPS.find((s) => span / s <= 6) || 86400;
    for (let s = 0; s <= span + 0.001; s += step) {
      const tx = x(t0 + s * 1000);
      svg("line", { x1: tx, x2: tx, y1: PAD.top, y2: PAD.top + ph }, grid);
      svg("text", { x: tx, y: H - 6, "text-anchor": s === 0 ? "start" : "middle" }, axis).textContent = elapsed(s);
    }

    // Markers under the lines: the release's decisions in time.
    const marks = svg("g", { class: "markers" }, root);
    for (const m of spec.markers || []) {
      if (m.t < t0 || m.t > t1) continue;
      const mx = x(m.t);
      const line = svg("line", { x1: mx, x2: mx, y1: PAD.top, y2: PAD.top + ph, class: "marker " + (m.kind || "") }, marks);
      svg("title", {}, line).textContent = clock(m.t) + "  " + m.label;
    }
    for (const th of spec.thresholds || []) {
      if (!(th.value >= lo && th.value <= hi)) continue;
      const ty = y(th.value);
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: ty, y2: ty, class: "threshold" }, root);
      svg("text", { x: W - PAD.right - 2, y: ty - 3, "text-anchor": "end", class: "threshold-label" }, root).textContent = th.label;
    }

    for (const s of spec.series) {
      const segs = [];
      let cur = [];
      let prev = null;
      for (const [t, v] of s.points) {
        if (v === null || v === undefined || !isFinite(v)) {
          if (cur.length) segs.push(cur);
          cur = []; prev = null;
          continue;
        }
        if (s.step && prev) cur.push([x(t), y(prev[1])]);
        cur.push([x(t), y(v)]);
        prev = [t, v];
      }
      if (cur.length) segs.push(cur);
      for (const seg of segs) {
        const d = seg.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1)).join("");
        if (s.area && seg.length > 1) {
          const base = y(lo);
          svg("path", {
            d: `${d}L${seg[seg.length - 1][0].toFixed(1)} ${base}L${seg[0][0].toFixed(1)} ${base}Z`,
            fill: s.color, "fill-opacity": "0.15", stroke: "none",
          }, root);
        }
        // The canary is dashed over a wider stable, so a canary that
        // matches stable (the good case) still shows both lines.
        const attrs = { d, fill: "none", stroke: s.color, "stroke-width": s.dash ? "2" : "3", "stroke-linejoin": "round", "stroke-linecap": "round", class: "series " + s.name };
        if (s.dash) attrs["stroke-dasharray"] = s.dash;
        svg("path", attrs, root);
        if (seg.length === 1) svg("circle", { cx: seg[0][0], cy: seg[0][1], r: 2.5, fill: s.color }, root);
      }
    }

    // Crosshair and values under the pointer.
    const times = spec.series[0].points.map((p) => p[0]);
    const cross = svg("line", { y1: PAD.top, y2: PAD.top + ph, stroke: "#94a3b8", "stroke-dasharray": "3 3", visibility: "hidden" }, root);
    const tip = document.createElement("div");
    tip.className = "tip"; tip.hidden = true;
    el.appendChild(tip);
    const hit = svg("rect", { x: PAD.left, y: PAD.top, width: pw, height: ph, fill: "transparent" }, root);
    hit.addEventListener("mousemove", (ev) => {
      const box = root.getBoundingClientRect();
      const px = ((ev.clientX - box.left) / box.width) * W;
      const t = t0 + ((px - PAD.left) / pw) * (t1 - t0);
      let best = 0;
      for (let i = 1; i < times.length; i++) if (Math.abs(times[i] - t) < Math.abs(times[best] - t)) best = i;
      const tx = x(times[best]);
      cross.setAttribute("x1", tx); cross.setAttribute("x2", tx); cross.setAttribute("visibility", "visible");
      tip.textContent = clock(times[best]) + "  " + spec.series.map((s) => {
        const v = s.points[best] ? s.points[best][1] : null;
        return s.name + " " + (v === null || v === undefined ? "–" : spec.format(v));
      }).join("  ");
      tip.style.left = ((tx / W) * 100) + "%";
      tip.style.top = "0px";
      tip.hidden = false;
    });
    hit.addEventListener("mouseleave", () => { cross.setAttribute("visibility", "hidden"); tip.hidden = true; });
  }

  window.SluiceCharts = { draw, elapsed };
})();
