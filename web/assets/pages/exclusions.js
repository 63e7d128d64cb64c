// The exclusion list: addresses and wildcard patterns that can never be added
// to a list (or to any list).
import { api } from "../api.js";
import { h, replace, field, table, val, select, fmtTime } from "../dom.js";
import { pageHeader, apiForm, deleteButton } from "./common.js";

export async function exclusionsPage() {
  const page = h("section");
  const status = h("div.form-status");
  const body = h("div");
  const lists = await api.get("/lists");
  async function refresh() {
    const entries = await api.get("/exclusions");
    replace(body, table(["Address or pattern", "List", "Added", ""],
      entries.map((x) => h("tr",
        h("td", h("code", val(x.pattern))),
        h("td", x.list === null || x.list === undefined ? h("em", "All lists") : val(x.list)),
        h("td", fmtTime(x.created_at)),
        h("td.actions", deleteButton(`Delete exclusion ${x.pattern}`,
          `Delete the exclusion “${x.pattern}”? The address can then be added again.`,
          async () => { await api.del(`/exclusions/${x.id}`); await refresh(); }, status)))),
      { label: "Exclusions", empty: "Nothing is excluded." }));
  }
  const pattern = h("input", { required: true, name: "pattern", placeholder: "*@example.com" });
  const list = select([["", "All lists"], ...lists.map((l) => [l.name, l.name])], "", { name: "list" });
  const form = apiForm("Exclude an address", [
    field("Address or pattern", pattern, "An address, or a pattern with * such as test*@* ."),
    field("List", list)], "Add exclusion", async () => {
    await api.post("/exclusions", { pattern: pattern.value, list: list.value || null });
    form.reset();
    await refresh();
    return "Exclusion added.";
  });
  await refresh();
  replace(page, pageHeader("Exclusion list",
    "An excluded address is never added to that list by a sync, an import, the API or this UI."),
  status, body, form);
  return page;
}
