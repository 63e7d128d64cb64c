// Contacts: search by text, filter by list and status, page through.
import { api, qs } from "../api.js";
import { h, replace, field, table, val, select, fmtTime, message } from "../dom.js";
import { pageHeader, deleteButton, STATUSES } from "./common.js";

const PAGE_SIZES = [25, 100, 500];

// The contact's custom fields and subscription history, in a row below it.
async function toggleDetails(button, contact) {
  const row = button.closest("tr");
  if (row.nextElementSibling && row.nextElementSibling.classList.contains("details")) {
    row.nextElementSibling.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  button.setAttribute("aria-expanded", "true");
  const cell = h("td", { colspan: String(row.children.length) }, h("p.muted", "Loading…"));
  row.after(h("tr.details", cell));
  try {
    const c = await api.get(`/contacts/${contact.id}`);
    const fields = Object.entries(c.fields || {});
    replace(cell,
      h("h3", "Custom fields"),
      fields.length ? h("dl.facts", fields.map(([k, v]) => h("div", h("dt", `%${k}%`),
        h("dd", val(Array.isArray(v) ? v.join(", ") : v))))) : h("p.muted", "None."),
      h("h3", "History"),
      table(["When", "List", "From", "To", "Cause"], (c.history || []).map((e) => h("tr",
        h("td", fmtTime(e.at)), h("td", val(e.list)), h("td", val(e.from)), h("td", val(e.to)),
        h("td", val(e.cause ? `${e.cause.kind}${e.cause.detail ? ` ${e.cause.detail}` : ""}` : "")))),
      { label: `History of ${c.email}`, empty: "No history." }));
  } catch (err) {
    replace(cell, message("error", err.message));
  }
}

export async function contactsPage() {
  const lists = await api.get("/lists");
  const state = { search: "", list: "", status: "", limit: 25, offset: 0 };
  const status = h("div.form-status");
  const results = h("div");
  const pager = h("div.pager");

  const search = h("input", { type: "search", name: "search", placeholder: "email or name" });
  const list = select([["", "All lists"], ...lists.map((l) => [l.name, l.name])], "", { name: "list" });
  const statusSel = select([["", "Any status"], ...STATUSES.map((s) => [s, s])], "", { name: "status" });
  const size = select(PAGE_SIZES.map((n) => [n, `${n} per page`]), state.limit, { name: "limit" });
  const filters = h("form.filters", { role: "search", "aria-label": "Filter contacts" },
    field("Search", search), field("List", list), field("Status", statusSel), field("Show", size),
    h("button", { type: "submit" }, "Search"));
  filters.addEventListener("submit", (e) => { e.preventDefault(); apply(); });
  for (const el of [list, statusSel, size]) el.addEventListener("change", () => apply());
  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 300); });

  function apply() {
    state.search = search.value.trim();
    state.list = list.value;
    state.status = statusSel.value;
    state.limit = Number(size.value);
    state.offset = 0;
    load();
  }

  async function load() {
    const data = await api.get(`/contacts${qs({ search: state.search, list: state.list,
      status: state.status, limit: state.limit, offset: state.offset })}`);
    const items = data.items || [];
    replace(results, table(["Email", "Name", "Phone", "Lists", "Updated", ""],
      items.map((c) => h("tr",
        h("td", h("button.link", { type: "button", "aria-expanded": "false",
          "aria-label": `Details of ${c.email}`, on: { click: (e) => toggleDetails(e.currentTarget, c) } },
        val(c.email)), c.bounced ? h("span.badge.bad", "bounced") : null),
        h("td", val([c.first_name, c.last_name].filter(Boolean).join(" "))),
        h("td", val(c.phone)),
        h("td", h("ul.inline", (c.subscriptions || []).map((s) =>
          h("li", val(s.list), " ", h(`span.badge.st-${s.status}`, s.status))))),
        h("td", fmtTime(c.updated_at)),
        h("td.actions", deleteButton(`Delete contact ${c.email}`, `Delete the contact ${c.email}?`,
          async () => { await api.del(`/contacts/${c.id}`); await load(); }, status)))),
      { label: "Contacts", empty: "No contact matches." }));
    const total = data.total ?? items.length;
    const from = total ? state.offset + 1 : 0;
    const to = state.offset + items.length;
    const prev = h("button", { type: "button", disabled: state.offset === 0,
      on: { click: () => { state.offset = Math.max(0, state.offset - state.limit); load(); } } }, "← Previous");
    const next = h("button", { type: "button", disabled: to >= total,
      on: { click: () => { state.offset += state.limit; load(); } } }, "Next →");
    replace(pager, prev, h("span", { role: "status" }, `${from}–${to} of ${total}`), next);
  }
  await load();
  return h("section", pageHeader("Contacts", "Everyone in the store, with their lists."),
    filters, status, results, pager);
}
