// The wizard's warning when a sync would queue mail that cannot be sent:
// status unconfirmed queues a confirmation per new contact, and "send
// autoresponders" the list's autoresponders. Without mail set up they wait
// in the outbox unseen; the CLI prints the same warning (app::UnsendableMailWarning).
import { api } from "./api.js";
import { h, replace } from "./dom.js";

// `box` is filled (or emptied) for the choices of `st` {list, status,
// send_autoresponders}; `lists` are the lists as GET /lists returns them.
export async function showMailWarning(box, st, lists) {
  const queued = [];
  if (st.status === "unconfirmed") queued.push("a confirmation message to each new contact");
  if (st.send_autoresponders) {
    const list = lists.find((l) => l.name === st.list);
    const autoresponders = list ? await api.get(`/lists/${list.id}/autoresponders`) : [];
    if (autoresponders.length) queued.push(`the list's ${autoresponders.length} autoresponder(s)`);
  }
  if (!queued.length) { replace(box); return; }
  const summary = await api.get("/mail/outbox/summary");
  if (summary.mail_ready !== false) { replace(box); return; }
  replace(box, h("div.msg.msg-warn.mail-warning", { role: "status" },
    `Mail is not set up, so ${queued.join(" and ")} would wait in the outbox unsent. ` +
    "Set up mail first, or choose the status active. ",
    h("a", { href: "#/mail" }, "Mail settings and the outbox"), " (queued messages can be cancelled there)."));
}
