// Contacts: search by text, filter by list and status, page through.
import { api, qs } from "../api.js";
import { h, replace, field, table, val, select, fmtTime, message } from "../dom.js";
import { pageHeader, deleteButton, STATUSES } from "./common.js";

const PAGE_SIZES = [25, 100, 500];
// Up to this many custom fields get a column each in the list.
const MAX_FIELD_COLUMNS = 3;

// A custom field's value as text (a multi-choice field holds a list).
const fieldText = (v) => (Array.isArray(v) ? v.join(", ") : v);

const name = (c) => [c.first_name, c.last_name].filter(Boolean).join(" ");

// A cell's selector, marked .empty when it has nothing to show: a phone's
// compact card leaves such cells out (a wide table keeps its "—").
const emptyOr = (selector, value) =>
  (value === undefined || value === null || value === "" ? `${selector}.empty` : selector);

// The contact's custom fields that hold a value, as [label, text] pairs in the
// order of the field definitions: users know a field by its label, not by its
// %KEY% merge tag.
function labelledFields(contact, fieldDefs) {
  const values = contact.fields || {};
  const known = fieldDefs.filter((f) => Object.hasOwn(values, f.key));
  const unknown = Object.keys(values).filter((k) => !fieldDefs.some((f) => f.key === k))
    .map((key) => ({ key, label: key }));
  return [...known, ...unknown]
    .map((f) => [f.label || f.key, fieldText(values[f.key])])
    .filter(([, text]) => text !== undefined && text !== null && text !== "");
}

// Who or what made a change, as people say it; a sync run links to its report.
const CAUSES = { cli: "Command line", api: "REST API", ui: "Web UI", import: "File import",
  confirmation_link: "Confirmation link", unsubscribe_link: "Unsubscribe link", bounce: "Bounce" };
function causeText(cause) {
  if (!cause) return val("");
  if (cause.kind === "sync_run" && /^\d+$/.test(cause.detail || "")) {
    return h("a", { href: `#/runs/${cause.detail}` }, `Sync run #${cause.detail}`);
  }
  const label = CAUSES[cause.kind] || cause.kind;
  return val(cause.detail ? `${label}: ${cause.detail}` : label);
}

// The contact's custom fields and subscription history, in a row below it.
async function toggleDetails(button, contact, fieldDefs) {
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
    const fields = labelledFields(c, fieldDefs);
    replace(cell,
      h("h3", "Custom fields"),
      fields.length ? h("dl.facts", fields.map(([label, text]) => h("div", h("dt", label),
        h("dd", val(text))))) : h("p.muted", "None."),
      h("h3", "History"),
      table(["When", "List", "From", "To", "Cause"], (c.history || []).map((e) => h("tr",
        h("td", fmtTime(e.at)), h("td", val(e.list)), h("td", val(e.from)), h("td", val(e.to)),
        h("td", causeText(e.cause)))),
      { label: `History of ${c.email}`, empty: "No history." }));
  } catch (err) {
    replace(cell, message("error", err.message));
  }
}

export async function contactsPage() {
  const [lists, fieldDefs] = await Promise.all([api.get("/lists"), api.get("/fields")]);
  const state = { search: "", list: "", status: "", limit: 25, offset: 0 };
  const status = h("div.form-status");
  const results = h("div");
  const pager = h("div.pager");

  const search = h("input", { type: "search", name: "search", placeholder: "email or name words" });
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

  // Custom fields show in the list itself, under their labels: a column each
  // when there are few, else one column of "Label: value" lines.
  const fieldColumns = fieldDefs.length <= MAX_FIELD_COLUMNS;
  const fieldHeaders = fieldColumns ? fieldDefs.map((f) => f.label || f.key)
    : fieldDefs.length ? ["Custom fields"] : [];
  function fieldCells(contact) {
    const values = contact.fields || {};
    if (fieldColumns) {
      return fieldDefs.map((f) => {
        const text = values[f.key] === undefined ? "" : fieldText(values[f.key]);
        return h(emptyOr("td.custom-field", text), val(text));
      });
    }
    if (!fieldDefs.length) return [];
    const fields = labelledFields(contact, fieldDefs);
    return [h(fields.length ? "td.fields" : "td.fields.empty", h("ul.inline", fields.map(([label, text]) =>
      h("li", h("span.muted", `${label}: `), val(text)))))];
  }

  // Only the latest request draws: an earlier one answering late (a filter
  // changed, then Next pressed) must not overwrite the page asked for last.
  let latest = 0;
  async function load() {
    const ticket = ++latest;
    const data = await api.get(`/contacts${qs({ search: state.search, list: state.list,
      status: state.status, limit: state.limit, offset: state.offset })}`);
    if (ticket !== latest) return;
    const items = data.items || [];
    replace(results, table(["Email", "Name", ...fieldHeaders, "Phone", "Lists", "Updated", ""],
      items.map((c) => h("tr",
        h("td", h("button.link", { type: "button", "aria-expanded": "false",
          "aria-label": `Details of ${c.email}`, on: { click: (e) => toggleDetails(e.currentTarget, c, fieldDefs) } },
        val(c.email)), c.bounced ? h("span.badge.bad", "bounced") : null),
        h(emptyOr("td.name", name(c)), val(name(c))),
        fieldCells(c),
        h(emptyOr("td.phone", c.phone), val(c.phone)),
        h("td.lists", h("ul.inline", (c.subscriptions || []).map((s) =>
          h("li", val(s.list), " ", h(`span.badge.st-${s.status}`, s.status))))),
        h("td.updated", fmtTime(c.updated_at)),
        h("td.actions", deleteButton(`Delete contact ${c.email}`, `Delete the contact ${c.email}?`,
          async () => { await api.del(`/contacts/${c.id}`); await load(); }, status)))),
      { label: "Contacts", empty: "No contact matches." }));
    const total = data.total ?? items.length;
    const from = state.offset + 1;
    const to = state.offset + items.length;
    const prev = h("button", { type: "button", disabled: state.offset === 0,
      on: { click: () => { state.offset = Math.max(0, state.offset - state.limit); load(); } } }, "← Previous");
    const next = h("button", { type: "button", disabled: to >= total,
      on: { click: () => { state.offset += state.limit; load(); } } }, "Next →");
    replace(pager, prev, h("span", { role: "status" }, total ? `${from}–${to} of ${total}` : "No contacts"), next);
  }
  await load();
  return h("section", pageHeader("Contacts", "Everyone in the store, with their lists."),
    filters, status, results, pager);
}
