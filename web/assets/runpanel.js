// The live panel of one run: the SQL being executed, a progress bar and the
// counts so far from the server-sent events of /api/v1/runs/{id}/events,
// ending with the run's outcome and a link to its report.
import { api, BASE_PATH } from "./api.js";
import { h, replace, message, fmtDuration } from "./dom.js";

export const COUNT_KEYS = ["selected", "added", "updated", "unchanged", "skipped", "failed", "deleted"];
export const COUNT_LABELS = { selected: "Selected", added: "Added", updated: "Updated",
  unchanged: "Unchanged", skipped: "Skipped", failed: "Failed", deleted: "Deleted" };

export function countsList(counts, labels = {}) {
  return h("dl.counts", COUNT_KEYS.map((k) => h("div", { dataset: { count: k } },
    h("dt", labels[k] || COUNT_LABELS[k]), h("dd", String((counts || {})[k] ?? 0)))));
}

// The outcome line; a cancelled run says how far it got rather than
// repeating its state ("Run cancelled: cancelled").
// It has no role of its own: the run's status line announces it.
function outcomeMessage(run, howFar) {
  const quiet = (kind, text) => h(`div.msg.msg-${kind}`, text);
  if (run.state === "succeeded") {
    return quiet("ok", `Finished in ${fmtDuration(run.duration_ms)}.`);
  }
  if (run.state === "cancelled") {
    const extra = run.message && run.message !== "cancelled" ? ` ${run.message}` : "";
    return quiet("warn", `Cancelled after ${howFar}.${extra}`);
  }
  return quiet("error", `Run ${run.state || "ended"}${run.message ? `: ${run.message}` : "."}`);
}

// The one live region of a run: a screen reader hears the phase when it
// changes and the counts at the end, not every redraw of the bar and counts.
function runAnnouncer(runId) {
  const el = h("p.run-status.sr-only", { "aria-live": "polite", "aria-atomic": "true" });
  let said = "";
  const say = (text) => { if (text !== said) { said = text; replace(el, text); } };
  return {
    el,
    phase: (phase) => say(`Run #${runId}: ${phase}.`),
    finished: (run, outcome) => {
      const c = run.counts || {};
      say(`Run #${runId} ${run.state || "ended"}. ${outcome} ${COUNT_KEYS.map((k) =>
        `${c[k] ?? 0} ${COUNT_LABELS[k].toLowerCase()}`).join(", ")}.`);
    },
  };
}

export function runPanel(runId, { onFinished } = {}) {
  const announce = runAnnouncer(runId);
  const phase = h("span.phase", "starting");
  const bar = h("progress", { max: "100", id: `run-${runId}-progress` });
  const rows = h("span.rows", "");
  const sql = h("pre.sql", { tabindex: "0", "aria-label": "SQL being executed" }, "…");
  const counts = h("div", countsList({}));
  const outcome = h("div.outcome");
  const panel = h("section.card.run-panel", { "aria-labelledby": `run-${runId}-title`, dataset: { runId } },
    h("h2", { id: `run-${runId}-title` }, `Run #${runId}`), announce.el,
    h("div.field", h("label", { for: bar.id }, "Progress: ", phase, " ", rows), bar),
    h("h3", "SQL"), sql, h("h3", "Counts"), counts, outcome);
  let source = null;
  let finished = false;

  let events = 0;
  const reached = { read: 0, total: null };  // how far the run got, for a cancelled one
  function progress(p) {
    events += 1;
    reached.read = Math.max(reached.read, p.rows_read ?? 0);
    if (p.estimated_total !== null && p.estimated_total !== undefined) reached.total = p.estimated_total;
    panel.dataset.progressEvents = String(events);
    replace(phase, p.phase || "running");
    announce.phase(p.phase || "running");
    if (p.sql) replace(sql, p.sql);
    const read = p.rows_read ?? 0;
    const total = p.estimated_total;
    if (total !== null && total !== undefined && total > 0) {
      bar.max = total;
      bar.value = Math.min(read, total);
      replace(rows, `${read} of ${total} rows`);
    } else if (total === 0) {
      bar.max = 1; bar.value = 1;
      replace(rows, "no rows");
    } else {
      bar.removeAttribute("value");
      replace(rows, `${read} rows`);
    }
    if (p.counts) replace(counts, countsList(p.counts));
  }

  // A cancelled run keeps its bar where it stopped: rows read of the estimate.
  function showWhereItStopped(read) {
    const total = reached.total;
    if (total) {
      bar.max = total;
      bar.value = Math.min(read, total);
      replace(rows, `${read} of ${total} rows`);
    } else {
      bar.max = 1;
      bar.value = 0;
      replace(rows, `${read} rows`);
    }
  }

  function finish(run) {
    if (finished) return;
    finished = true;
    if (source) source.close();
    panel.dataset.state = run.state || "";
    if (run.sql) replace(sql, run.sql);
    if (run.counts) replace(counts, countsList(run.counts));
    replace(phase, run.state || "finished");
    const c = run.counts || {};
    const cancelled = run.state === "cancelled";
    if (cancelled) showWhereItStopped(Math.max(reached.read, c.selected ?? 0));
    else {
      bar.max = Math.max(1, c.selected || 0);
      bar.value = bar.max;
      replace(rows, `${c.selected ?? 0} rows`);
    }
    const said = outcomeMessage(run, cancelled ? rows.textContent : "");
    announce.finished(run, said.textContent);
    replace(outcome, said,
      run.deletion_note ? message("warn", run.deletion_note) : null,
      h("p", h("a.button.primary", { href: `#/runs/${runId}` }, "Open the report")));
    if (onFinished) onFinished(run);
  }

  async function poll() {
    // Fallback when the event stream breaks: the run itself knows its state.
    while (!finished && panel.isConnected !== false) {
      try {
        const run = await api.get(`/runs/${runId}`);
        if (run.state && run.state !== "running" && run.state !== "queued") { finish(run); return; }
        if (run.counts) replace(counts, countsList(run.counts));
      } catch (err) {
        replace(outcome, message("error", err.message));
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const cancel = h("button", { type: "button", on: { click: async () => {
    try { await api.post(`/runs/${runId}/cancel`); } catch (err) {
      replace(outcome, message("error", err.message));
    }
  } } }, "Cancel run");
  panel.append(h("div.actions", cancel));

  // The Cancel button goes once the run has ended; a keyboard user who pressed
  // it keeps their place: the focus moves to the report link that replaced it
  // instead of falling back to the page.
  function dropCancel() {
    const hadFocus = document.activeElement === cancel;
    cancel.remove();
    if (!hadFocus) return;
    const next = outcome.querySelector("a") || outcome;
    if (next === outcome) outcome.tabIndex = -1;
    next.focus();
  }

  source = new EventSource(`${BASE_PATH}/runs/${runId}/events`);
  source.addEventListener("progress", (e) => { try { progress(JSON.parse(e.data)); } catch { /* skip */ } });
  source.addEventListener("finished", (e) => {
    try { finish(JSON.parse(e.data)); } catch { poll(); }
    dropCancel();
  });
  source.addEventListener("error", () => {
    if (finished) return;
    source.close();
    poll().then(dropCancel);
  });
  const prevCleanup = window.csCleanup;
  window.csCleanup = () => { if (source) source.close(); finished = true; if (prevCleanup) prevCleanup(); };
  return panel;
}
