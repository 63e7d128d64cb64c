// Database Sync: the saved syncs with their last run (edit, delete, test,
// run), and one sync's page with its run history chart.
import { api } from "../api.js";
import { h, replace, table, val, message, fmtTime, setBusy, isBusy, whileBusy, startedByText } from "../dom.js";
import { pageHeader, deleteButton } from "./common.js";
import { runPanel } from "../runpanel.js";
import { testResult, targetLabeller } from "./testresult.js";
import { historyChart } from "../chart.js";

// Every outcome of a run's selected rows, so that a re-run of unchanged
// contacts reads "584 unchanged", not "0 added · 0 updated · 0 failed".
const SUMMARY_KEYS = ["added", "updated", "unchanged", "skipped", "failed"];

export function runSummary(counts) {
  const c = counts || {};
  const parts = SUMMARY_KEYS.map((k) => `${c[k] ?? 0} ${k}`);
  if (c.deleted) parts.push(`${c.deleted} deleted`);
  return parts.join(" · ");
}

function lastRunCell(run) {
  if (!run) return h("span.muted", "never run");
  return h("div", h("a", { href: `#/runs/${run.id}` }, fmtTime(run.started_at)), " ",
    h(`span.badge.run-${run.state}`, run.state),
    h("div.muted.small.run-summary", runSummary(run.counts)));
}

// The Test and Run buttons of one sync; results go into `panel`;
// `onRunFinished` lets the page show the run's outcome where it lists runs.
export function syncActions(sync, panel, status, onRunFinished) {
  const test = h("button.small", { type: "button", "aria-label": `Test sync ${sync.name}` }, "Test");
  test.addEventListener("click", () => whileBusy(test, async () => {
    replace(panel, message("info", `Testing “${sync.name}”… (reads the whole source, writes nothing)`));
    try {
      const [report, fields] = await Promise.all([api.post(`/syncs/${sync.id}/test`), api.get("/fields")]);
      replace(panel, testResult(report, targetLabeller(fields)));
    } catch (err) {
      replace(panel, message("error", err.message));
    }
  }));
  const run = h("button.small.primary", { type: "button", "aria-label": `Run sync ${sync.name}` }, "Run");
  run.addEventListener("click", async () => {
    if (isBusy(run)) return;
    setBusy(run, true);
    try {
      const { run_id: runId } = await api.post(`/syncs/${sync.id}/run`);
      replace(panel, runPanel(runId, { onFinished: () => {
        setBusy(run, false);
        if (onRunFinished) onRunFinished().catch((err) => replace(status || panel, message("error", err.message)));
      } }));
      panel.scrollIntoView({ block: "nearest" });
    } catch (err) {
      setBusy(run, false);
      replace(status || panel, message("error", err.message));
    }
  });
  return [test, run];
}

export async function syncsPage() {
  const status = h("div.form-status");
  const panel = h("div.panel-slot");
  const body = h("div");
  async function refresh() {
    const syncs = await api.get("/syncs");
    replace(body, table(["Name", "List", "Source", "Last run", "Actions"],
      syncs.map((s) => {
        const d = s.definition || {};
        const src = d.source || {};
        return h("tr", { dataset: { syncId: s.id } },
          h("td", h("a", { href: `#/syncs/${s.id}` }, val(s.name))),
          h("td", val(d.list)),
          h("td", val(d.connection), h("div.muted.small",
            src.query ? "custom query" : val(src.schema ? `${src.schema}.${src.table}` : src.table))),
          h("td", lastRunCell(s.last_run)),
          h("td.actions",
            h("a.button.small", { href: `#/syncs/${s.id}/edit`, "aria-label": `Edit sync ${s.name}` }, "Edit"),
            syncActions(s, panel, status, refresh),
            deleteButton(`Delete sync ${s.name}`,
              `Delete the sync “${s.name}”? Its contacts stay; its run reports are deleted.`,
              async () => { await api.del(`/syncs/${s.id}`); replace(panel); await refresh(); }, status)));
      }), { label: "Syncs", empty: "No syncs yet. Add one to import contacts from a database." }));
  }
  await refresh();
  return h("section", pageHeader("Database Sync",
    "Import contacts from a database you already have, again and again; the source is only ever read.",
    h("a.button.primary", { href: "#/syncs/new" }, "Add sync")), status, body, panel);
}

const RUN_COLUMNS = [["selected", "Selected"], ["added", "Added"], ["updated", "Updated"],
  ["unchanged", "Unchanged"], ["skipped", "Skipped"], ["failed", "Failed"], ["deleted", "Deleted"]];

function runsTable(runs) {
  return table(["Run", "Started", "By", "State", ...RUN_COLUMNS.map(([, label]) => label)],
    runs.map((r) => h("tr",
      h("td", h("a", { href: `#/runs/${r.id}` }, `#${r.id}`)), h("td", fmtTime(r.started_at)),
      h("td", val(startedByText(r.started_by))), h("td", h(`span.badge.run-${r.state}`, r.state)),
      RUN_COLUMNS.map(([k]) => h("td.num", { dataset: { count: k } }, String((r.counts || {})[k] ?? 0))))),
    { label: "Runs", empty: "No runs yet." });
}

export async function syncDetailPage(id) {
  const sync = await api.get(`/syncs/${id}`);
  const d = sync.definition || {};
  const panel = h("div.panel-slot");
  const status = h("div.form-status");
  const history = h("div");
  const list = h("div");
  async function refresh() {  // after a run ends, its row and bar appear without a reload
    const runs = await api.get(`/syncs/${id}/runs`);
    replace(history, historyChart(runs));
    replace(list, runsTable(runs));
  }
  await refresh();
  return h("section",
    pageHeader(sync.name, `Into list “${d.list}” from connection “${d.connection}”.`,
      h("a.button.small", { href: `#/syncs/${id}/edit` }, "Edit"),
      syncActions({ ...sync, id }, panel, status, refresh)),
    status, panel,
    h("section.card", h("h2", "Run history"), history),
    h("section.card", h("h2", "Runs"), list));
}
