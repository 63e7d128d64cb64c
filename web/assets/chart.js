// The run-history chart of a sync: one group of bars per run (added, updated,
// failed), oldest on the left, drawn as inline SVG (no library). Text inside
// the SVG is set with textContent like everywhere else.
import { h, fmtTime } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const SERIES = [["added", "Added"], ["updated", "Updated"], ["failed", "Failed"]];

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// runs: newest first, as GET /syncs/{id}/runs returns them.
export function historyChart(runs, maxRuns = 20) {
  const shown = runs.slice(0, maxRuns).reverse();
  if (!shown.length) return h("p.muted", "No runs yet.");
  const width = 640;
  const height = 200;
  const pad = { left: 44, right: 8, top: 12, bottom: 28 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...shown.flatMap((r) => SERIES.map(([k]) => (r.counts || {})[k] || 0)));
  const groupW = innerW / shown.length;
  const barW = Math.max(2, Math.min(18, (groupW - 6) / SERIES.length));
  const summary = shown.map((r) => `run ${r.id}: ${SERIES.map(([k, l]) =>
    `${(r.counts || {})[k] || 0} ${l.toLowerCase()}`).join(", ")}`).join("; ");
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    "aria-label": `Rows added, updated and failed in the last ${shown.length} runs: ${summary}` });
  svg.append(s("line", { x1: pad.left, y1: pad.top + innerH, x2: width - pad.right,
    y2: pad.top + innerH, class: "axis" }));
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + innerH - frac * innerH;
    svg.append(s("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "tick" },
      String(Math.round(frac * max))));
    if (frac > 0) svg.append(s("line", { x1: pad.left, y1: y, x2: width - pad.right, y2: y, class: "grid" }));
  }
  shown.forEach((run, i) => {
    const x0 = pad.left + i * groupW + (groupW - barW * SERIES.length) / 2;
    SERIES.forEach(([key, label], j) => {
      const value = (run.counts || {})[key] || 0;
      const bh = (value / max) * innerH;
      const bar = s("rect", { x: x0 + j * barW, y: pad.top + innerH - bh, width: barW - 1,
        height: Math.max(bh, value ? 2 : 0), class: `bar bar-${key}` });
      bar.append(s("title", {}, `Run ${run.id} (${fmtTime(run.started_at)}): ${value} ${label.toLowerCase()}`));
      svg.append(bar);
      if (value && groupW >= 48) {  // small counts beside big ones stay readable
        svg.append(s("text", { x: x0 + j * barW + (barW - 1) / 2, y: pad.top + innerH - bh - 3,
          "text-anchor": "middle", class: "value" }, String(value)));
      }
    });
    if (shown.length <= 12 || i % Math.ceil(shown.length / 12) === 0) {
      svg.append(s("text", { x: pad.left + i * groupW + groupW / 2, y: height - 8,
        "text-anchor": "middle", class: "tick" }, `#${run.id}`));
    }
  });
  const legend = h("ul.legend", SERIES.map(([key, label]) =>
    h("li", h(`span.swatch.bar-${key}`, { "aria-hidden": "true" }), label)));
  return h("figure.chart-box", svg, h("figcaption", legend));
}
