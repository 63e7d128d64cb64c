// The run-history chart of a sync: one stacked bar per run with every
// outcome of its selected rows (added, updated, unchanged, skipped, failed),
// oldest on the left, drawn as inline SVG (no library). A re-run that changed
// nothing shows as a full bar of unchanged rows, not as an empty slot. Text
// inside the SVG is set with textContent like everywhere else.
import { h, replace, fmtTime } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
export const SERIES = [["added", "Added"], ["updated", "Updated"], ["unchanged", "Unchanged"],
  ["skipped", "Skipped"], ["failed", "Failed"]];

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const countOf = (run, key) => (run.counts || {})[key] || 0;
const runTotal = (run) => SERIES.reduce((sum, [key]) => sum + countOf(run, key), 0);

const HEIGHT = 220;

// The chart is drawn at the width of its card (one SVG unit is one CSS
// pixel, so the text keeps its size) and redrawn when the card's width
// changes; a fixed 640-unit drawing left half of a wide card empty.
function drawChart(shown, width) {
  const height = HEIGHT;
  const pad = { left: 44, right: 8, top: 16, bottom: 28 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...shown.map(runTotal));
  const groupW = innerW / shown.length;
  const barW = Math.max(3, Math.min(56, groupW - 8));
  const summary = shown.map((r) => `run ${r.id}: ${SERIES.map(([k, l]) =>
    `${countOf(r, k)} ${l.toLowerCase()}`).join(", ")}`).join("; ");
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart",
    "aria-label": `Outcome of the rows of the last ${shown.length} runs: ${summary}` });
  svg.append(s("line", { x1: pad.left, y1: pad.top + innerH, x2: width - pad.right,
    y2: pad.top + innerH, class: "axis" }));
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + innerH - frac * innerH;
    svg.append(s("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "tick" },
      String(Math.round(frac * max))));
    if (frac > 0) svg.append(s("line", { x1: pad.left, y1: y, x2: width - pad.right, y2: y, class: "grid" }));
  }
  shown.forEach((run, i) => {
    const x = pad.left + i * groupW + (groupW - barW) / 2;
    let top = pad.top + innerH;
    for (const [key, label] of SERIES) {  // bottom to top, in the legend's order
      const value = countOf(run, key);
      const bh = (value / max) * innerH;
      top -= bh;
      const bar = s("rect", { x, y: top, width: barW, height: bh, class: `bar bar-${key}`,
        "data-count": key, "data-value": value });
      bar.append(s("title", {}, `Run ${run.id} (${fmtTime(run.started_at)}): ${value} ${label.toLowerCase()}`));
      svg.append(bar);
    }
    if (groupW >= 32) {  // the run's total above its bar
      svg.append(s("text", { x: x + barW / 2, y: top - 3, "text-anchor": "middle", class: "value" },
        String(runTotal(run))));
    }
    if (shown.length <= 12 || i % Math.ceil(shown.length / 12) === 0) {
      svg.append(s("text", { x: pad.left + i * groupW + groupW / 2, y: height - 8,
        "text-anchor": "middle", class: "tick" }, `#${run.id}`));
    }
  });
  return svg;
}

// runs: newest first, as GET /syncs/{id}/runs returns them.
export function historyChart(runs, maxRuns = 20) {
  const shown = runs.slice(0, maxRuns).reverse();
  if (!shown.length) return h("p.muted", "No runs yet.");
  const frame = h("div.chart-frame");
  let drawnWidth = 0;
  const draw = (width) => { drawnWidth = width; replace(frame, drawChart(shown, width)); };
  draw(640);  // until the frame is laid out
  let shownOnPage = false;
  const observer = new ResizeObserver(([entry]) => {
    if (!frame.isConnected) { if (shownOnPage) observer.disconnect(); return; }  // its page is gone
    shownOnPage = true;
    const width = Math.floor(entry.contentRect.width);
    if (width >= 200 && width !== drawnWidth) draw(width);
  });
  observer.observe(frame);
  const legend = h("ul.legend", SERIES.map(([key, label]) =>
    h("li", h(`span.swatch.bar-${key}`, { "aria-hidden": "true" }), label)));
  return h("figure.chart-box", frame, h("figcaption", legend));
}
