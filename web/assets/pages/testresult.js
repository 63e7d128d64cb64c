// What Test reports: what a run would do, the SQL, the first failures and a
// sample of mapped rows. Nothing was written.
import { h, table, val, message } from "../dom.js";
import { countsList } from "../runpanel.js";

export function testResult(report) {
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
    countsList(report.counts, { added: "would add", updated: "would update",
      deleted: "would delete" }),
    report.deletion_note ? message("warn", report.deletion_note) : null,
    h("h3", "SQL"), h("pre.sql", { tabindex: "0" }, report.sql || ""),
    failures.length ? [h("h3", "Rows that would fail"), table(["Row", "Email", "Reason", "Message"],
      failures.map((f) => h("tr", h("td.num", String(f.row_number ?? f.row ?? "")), h("td", val(f.email)),
        h("td", h("code.reason", f.reason)), h("td", val(f.message)))), { label: "Failures" })] : null,
    h("h3", "Sample of mapped rows"),
    sample.length ? table(["Row", ...targets], sample.map((r) => h("tr",
      h("td.num", String(r.row_number ?? r.row ?? "")),
      targets.map((t) => h("td", val((r.values || {})[t]))))), { label: "Sample rows" })
      : h("p.muted", "No rows would be synced."));
}
