// The report of one run: who, when, how long, the SQL, the counts, the
// deletion note and every failed row (filterable by reason, paged), with the
// failures as CSV. A run still going shows its live panel first.
import { api, qs, BASE_PATH } from "../api.js";
import { h, replace, table, val, select, message, fmtTime, fmtDuration, startedByText } from "../dom.js";
import { pageHeader } from "./common.js";
import { countsList, runPanel } from "../runpanel.js";
import { historyChart } from "../chart.js";

export const REASONS = ["email_missing", "email_invalid", "required_field_missing", "field_invalid",
  "excluded", "previously_unsubscribed", "bounced", "duplicate_in_source"];
const PAGE = 50;

// What the run's state means; a cancelled run says how far it got rather
// than repeating its state ("cancelled").
function stateMessage(run) {
  if (run.state === "cancelled") {
    const extra = run.message && run.message !== "cancelled" ? ` ${run.message}` : "";
    return message("warn", `Cancelled after ${(run.counts || {}).selected ?? 0} rows.${extra}`);
  }
  if (!run.message) return null;
  return message(run.state === "succeeded" ? "info" : "error", run.message);
}

export async function reportPage(id) {
  const run = await api.get(`/runs/${id}`);
  const syncName = run.sync_name ?? run.sync ?? "";
  const page = h("section");
  if (run.state === "running" || run.state === "queued") {
    replace(page, pageHeader(`Run #${id}`, `Sync “${syncName}” is running.`),
      runPanel(id, { onFinished: async () => { replace(page, await reportPage(id)); } }));
    return page;
  }
  const state = { reason: "", offset: 0 };
  const failures = h("div");
  const pagerTop = h("div.pager.pager-top");
  const pager = h("div.pager");
  const reason = select([["", "All reasons"], ...REASONS.map((r) => [r, r])], "", { name: "reason" });
  reason.id = "failure-reason";
  reason.addEventListener("change", () => { state.reason = reason.value; state.offset = 0; load(); });

  async function load() {
    const data = await api.get(`/runs/${id}/failures${qs({ reason: state.reason, limit: PAGE,
      offset: state.offset })}`);
    const items = data.items || [];
    replace(failures, table(["Row", "Email as read", "Reason", "Message"], items.map((f) => h("tr",
      h("td.num", String(f.row_number ?? f.row ?? "")), h("td", val(f.email)),
      h("td", h("code.reason", f.reason)), h("td", val(f.message)))),
    { label: "Failed rows", empty: state.reason ? "No row failed for this reason." : "No row failed." }));
    const total = data.total ?? items.length;
    const to = state.offset + items.length;
    // The same pager above the rows and below them (on a phone the rows are long).
    const buttons = () => [
      h("button", { type: "button", disabled: state.offset === 0, on: { click: () => {
        state.offset = Math.max(0, state.offset - PAGE); load(); } } }, "← Previous"),
      h("button", { type: "button", disabled: to >= total, on: { click: () => {
        state.offset += PAGE; load(); } } }, "Next →")];
    const [prevTop, nextTop] = buttons();
    replace(pagerTop, prevTop,
      h("span", `Page ${Math.floor(state.offset / PAGE) + 1} of ${Math.max(1, Math.ceil(total / PAGE))}`), nextTop);
    const [prev, next] = buttons();
    replace(pager, prev,
      h("span", { role: "status" }, total ? `${state.offset + 1}–${to} of ${total} failed rows` : "No rows"), next);
  }
  await load();

  let chart = null;
  try {
    const syncs = await api.get("/syncs");
    const sync = syncs.find((s) => s.name === syncName);
    if (sync) {
      const runs = await api.get(`/syncs/${sync.id}/runs`);
      chart = h("section.card", h("h2", "Run history of ", h("a", { href: `#/syncs/${sync.id}` }, val(syncName))),
        historyChart(runs));
    }
  } catch { /* the report stands without its chart */ }

  replace(page,
    pageHeader(`Report of run #${id}`, null,
      h("a.button", { href: `${BASE_PATH}/runs/${id}/failures.csv`, download: `run-${id}-failures.csv` },
        "Download failures (CSV)")),
    h("section.card",
      h("dl.facts",
        h("div", h("dt", "Sync"), h("dd", val(syncName))),
        h("div", h("dt", "State"), h("dd", h(`span.badge.run-${run.state}`, run.state))),
        h("div", h("dt", "Started by"), h("dd", val(startedByText(run.started_by)))),
        h("div", h("dt", "Started"), h("dd", fmtTime(run.started_at))),
        h("div", h("dt", "Finished"), h("dd", fmtTime(run.finished_at))),
        h("div", h("dt", "Duration"), h("dd", fmtDuration(run.duration_ms)))),
      stateMessage(run),
      run.deletion_note ? message("warn", run.deletion_note) : null,
      h("h2", "Counts"), countsList(run.counts),
      h("h2", "SQL executed"), h("pre.sql", { tabindex: "0" }, run.sql || "")),
    h("section.card", h("h2", "Failed rows"),
      h("div.filters", h("div.field", h("label", { for: reason.id }, "Reason"), reason)),
      pagerTop, failures, pager),
    chart);
  return page;
}
