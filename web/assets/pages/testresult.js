// What Test reports: what a run would do, the SQL, the first failures and a
// sample of mapped rows. Nothing was written.
import { h, replace, table, val, message } from "../dom.js";
import { countsList } from "../runpanel.js";

const FIRST_FAILURES = 5;
const STANDARD_LABELS = { email: "Email", first_name: "First name", last_name: "Last name", phone: "Phone" };

// A mapping target as people read it: "First name", a custom field's label
// (not "%CITY%"); a target without a label stays as it is.
export function targetLabeller(fields) {
  return (target) => {
    if (STANDARD_LABELS[target]) return STANDARD_LABELS[target];
    const f = (fields || []).find((x) => `%${x.key}%` === target);
    return f && f.label ? f.label : target;
  };
}

function failureRows(failures) {
  return failures.map((f) => h("tr", h("td.num", String(f.row_number ?? f.row ?? "")), h("td", val(f.email)),
    h("td", h("code.reason", f.reason)), h("td", val(f.message))));
}

// The rows that would fail: how many per reason, the first few rows, and the
// rest behind a button (a hundred rows inline made the page 5,800 px long).
// The server lists at most the first failures; the note says so when the
// run would fail more.
function failuresSection(failures, failedCount) {
  if (!failures.length) return null;
  const perReason = new Map();
  for (const f of failures) perReason.set(f.reason, (perReason.get(f.reason) || 0) + 1);
  const listedAll = failures.length >= failedCount;
  const headers = ["Row", "Email", "Reason", "Message"];
  const rows = h("div", table(headers, failureRows(failures.slice(0, FIRST_FAILURES)), { label: "Failures" }));
  let more = null;
  if (failures.length > FIRST_FAILURES) {
    more = h("button", { type: "button", on: { click: () => {
      replace(rows, table(headers, failureRows(failures), { label: "Failures" }));
      more.remove();
      rows.querySelector(".table-wrap").focus();
    } } }, `Show all ${failures.length} failed rows`);
  }
  return [h("h3", "Rows that would fail"),
    listedAll ? null : h("p.muted", `The first ${failures.length} of ${failedCount} failed rows are listed; ` +
      "the report of a run lists them all."),
    h("ul.reason-counts", [...perReason].sort((a, b) => b[1] - a[1]).map(([reason, n]) =>
      h("li", { dataset: { reason } }, h("code.reason", reason), ` ${n} ${n === 1 ? "row" : "rows"}`))),
    rows, more ? h("p", more) : null];
}

export function testResult(report, targetLabel = targetLabeller([])) {
  const failures = report.failures || [];
  const sample = report.sample || [];
  // Standard fields first, in the usual order, then the custom fields.
  const rank = (t) => { const i = ["email", "first_name", "last_name", "phone"].indexOf(t); return i < 0 ? 9 : i; };
  const targets = [...new Set(sample.flatMap((r) => Object.keys(r.values || {})))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return h("section.card.test-result", { "aria-labelledby": "test-title" },
    h("h2", { id: "test-title" }, "Test result (nothing was written)"),
    report.state && report.state !== "succeeded"
      ? message("error", `Test ${report.state}${report.message ? `: ${report.message}` : ""}`) : null,
    countsList(report.counts, { added: "Would add", updated: "Would update",
      deleted: "Would delete" }),
    report.deletion_note ? message("warn", report.deletion_note) : null,
    h("h3", "SQL"), h("pre.sql", { tabindex: "0" }, report.sql || ""),
    failuresSection(failures, (report.counts || {}).failed ?? failures.length),
    h("h3", "Sample of mapped rows"),
    sample.length ? table(["Row", ...targets.map(targetLabel)], sample.map((r) => h("tr",
      h("td.num", String(r.row_number ?? r.row ?? "")),
      targets.map((t) => h("td", val((r.values || {})[t]))))), { label: "Sample rows" })
      : h("p.muted", "No rows would be synced."));
}
