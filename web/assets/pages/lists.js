// Lists: every list with its sender and subscriber count; create and delete.
import { api } from "../api.js";
import { h, replace, field, table, val, message } from "../dom.js";
import { pageHeader, apiForm, deleteButton } from "./common.js";

// What deleting the list loses: its subscriptions, and the syncs that import into it.
function deleteQuestion(list, syncNames) {
  const count = list.subscriber_count ?? 0;
  const lost = `${count} ${count === 1 ? "contact loses its" : "contacts lose their"} subscription to it (the contacts stay).`;
  const syncs = syncNames.length === 0 ? ""
    : ` ${syncNames.length === 1 ? "The sync" : "The syncs"} ${syncNames.map((n) => `“${n}”`).join(", ")} ${syncNames.length === 1 ? "imports" : "import"} into it and ${syncNames.length === 1 ? "is" : "are"} deleted too, with ${syncNames.length === 1 ? "its" : "their"} run history.`;
  return `Delete the list “${list.name}”? ${lost}${syncs}`;
}

export async function listsPage() {
  const page = h("section");
  const status = h("div.form-status");
  const body = h("div");
  async function refresh() {
    const [lists, syncs] = await Promise.all([api.get("/lists"), api.get("/syncs")]);
    const syncsInto = (list) => syncs.filter((s) => s.definition.list === list.name).map((s) => s.name);
    replace(body, table(["Name", "Sender", "Description", "Subscribers", ""],
      lists.map((l) => {
        const users = syncsInto(l);
        // The syncs named in the question are the ones force deletes (docs/api.md).
        const path = `/lists/${l.id}${users.length ? "?force=true" : ""}`;
        return h("tr",
          h("td", val(l.name)),
          h("td", val(l.sender_name), l.sender_email ? h("div.muted", val(l.sender_email)) : null),
          h("td", val(l.description)),
          h("td.num", String(l.subscriber_count ?? 0)),
          h("td.actions", deleteButton(`Delete list ${l.name}`, deleteQuestion(l, users),
            async () => { await api.del(path); await refresh(); }, status)));
      }),
      { label: "Lists", empty: "No lists yet. Create one below." }));
  }
  const name = h("input", { required: true, name: "name" });
  const senderName = h("input", { name: "sender_name" });
  const senderEmail = h("input", { type: "email", name: "sender_email" });
  const description = h("input", { name: "description" });
  const form = apiForm("New list", [field("Name", name), field("Sender name", senderName),
    field("Sender email", senderEmail), field("Description", description)], "Create list",
  async () => {
    await api.post("/lists", { name: name.value, sender_name: senderName.value,
      sender_email: senderEmail.value, description: description.value });
    const created = name.value;
    form.reset();
    await refresh();
    return `List “${created}” created.`;
  });
  await refresh();
  replace(page, pageHeader("Lists", "Contacts are subscribed to lists; a sync fills one list."),
    status, body, form);
  return page;
}
