// Mail: the SMTP settings (the password is write-only: the server only says
// whether one is stored), how the outbox drains (refreshed while the page is
// open), a warning while queued mail cannot be sent, the queued messages
// with Cancel (one, or all), failed messages with Retry, and the lists'
// autoresponders.
import { api, qs } from "../api.js";
import { h, replace, field, table, val, select, checkbox, message, fmtTime, confirmDialog } from "../dom.js";
import { pageHeader, apiForm, deleteButton } from "./common.js";

const REFRESH_MS = 3000;
const STATES = ["queued", "sending", "sent", "failed", "cancelled"];
const UNITS = [["1", "seconds"], ["60", "minutes"], ["3600", "hours"], ["86400", "days"]];

function settingsForm(settings) {
  const host = h("input", { name: "smtp_host", value: settings.smtp_host, autocomplete: "off" });
  const port = h("input", { name: "smtp_port", type: "number", min: "0", max: "65535",
    inputmode: "numeric", value: settings.smtp_port ? String(settings.smtp_port) : "" });
  const tls = select([["starttls", "STARTTLS (required)"], ["tls", "TLS (implicit)"],
    ["none", "None"]], settings.tls_mode || "starttls", { name: "tls_mode" });
  const user = h("input", { name: "smtp_user", value: settings.smtp_user, autocomplete: "off" });
  const password = h("input", { name: "smtp_password", type: "password",
    autocomplete: "new-password", placeholder: settings.has_password ? "set" : "not set" });
  const passwordState = h("span.muted", { role: "status" });
  const removePassword = checkbox("Remove the stored password", false, { name: "no_password" });
  const caFile = h("input", { name: "tls_ca_file", value: settings.tls_ca_file });
  const fromName = h("input", { name: "from_name", value: settings.from_name });
  const fromEmail = h("input", { name: "from_email", type: "email", value: settings.from_email });
  const cap = h("input", { name: "hourly_cap", type: "number", min: "0", max: "1000000",
    inputmode: "numeric", value: String(settings.hourly_cap ?? 0) });
  const baseUrl = h("input", { name: "base_url", type: "url", value: settings.base_url,
    placeholder: "https://lists.example.com" });
  const showPasswordState = (hasPassword) => {
    replace(passwordState, hasPassword ? "Password: set" : "Password: not set");
    password.placeholder = hasPassword ? "set" : "not set";
    removePassword.el.hidden = !hasPassword;
  };
  showPasswordState(settings.has_password);
  const form = apiForm("SMTP server and sender", [
    field("SMTP host", host), field("Port", port, "Empty: 587, 465 for TLS, 25 for none."),
    field("Encryption", tls), field("Login", user, "Empty: no login."),
    h("div", field("Password", password, "Write-only. Leave empty to keep the stored one."),
      passwordState, removePassword.el),
    field("CA certificate file", caFile, "PEM on the server; empty: the system's CAs."),
    field("Sender name", fromName), field("Sender address", fromEmail,
      "For lists without a sender of their own."),
    field("Messages per hour", cap, "0: no cap. The rest waits in the outbox."),
    field("Public URL of this server", baseUrl, "For the confirmation and unsubscribe links."),
  ], "Save mail settings", async () => {
    const change = {
      smtp_host: host.value.trim(), smtp_port: port.value === "" ? 0 : Number(port.value),
      tls_mode: tls.value, smtp_user: user.value, tls_ca_file: caFile.value,
      from_name: fromName.value, from_email: fromEmail.value.trim(),
      hourly_cap: cap.value === "" ? 0 : Number(cap.value), base_url: baseUrl.value.trim(),
    };
    if (removePassword.input.checked) change.password = "";
    else if (password.value !== "") change.password = password.value;
    const saved = await api.put("/mail/settings", change);
    password.value = "";
    removePassword.input.checked = false;
    showPasswordState(saved.has_password);
    // The server drops a saved password that would otherwise go to another
    // server or account; the user has to type it again.
    if (saved.password_cleared) {
      password.focus();
      return `Mail settings saved. The stored password was removed because ${saved.password_cleared_because}: enter it again.`;
    }
    return "Mail settings saved.";
  });
  return form;
}

function summaryView(summary) {
  const counts = summary.counts || {};
  const capText = summary.hourly_cap
    ? `${summary.sent_last_hour} of ${summary.hourly_cap} sent in the last hour`
    : `${summary.sent_last_hour} sent in the last hour (no hourly cap)`;
  const full = summary.hourly_cap && summary.sent_last_hour >= summary.hourly_cap;
  return h("div",
    h("dl.counts", STATES.map((s) => h("div", { dataset: { count: s } },
      h("dt", s.charAt(0).toUpperCase() + s.slice(1)), h("dd", String(counts[s] ?? 0))))),
    h("p", { dataset: { test: "cap" } }, capText,
      full ? " — the cap is reached; the queue continues when the hour rolls on." : ""),
    summary.next_due_at && counts.queued
      ? h("p.muted", `Next message due ${fmtTime(summary.next_due_at)}.`) : null,
    summary.mail_ready === false && counts.queued ? message("warn", "Queued messages are not sent: " +
      "mail is not set up. Give the SMTP server and the public URL above, or cancel the messages that " +
      "should not go out.") : null);
}

// The messages still waiting, each with Cancel, and Cancel all (asks first):
// the way out of confirmations a sync queued by mistake.
function queuedTable(page, onCancel, onCancelAll) {
  const all = page.total ? h("button.small.danger", { type: "button", on: { click: onCancelAll } },
    `Cancel all ${page.total} queued`) : null;
  return h("div",
    h("div.section-head", h("h3", `Queued messages (${page.total})`), all),
    table(["To", "List", "Kind", "Due", ""],
      page.items.map((m) => h("tr",
        h("td", val(m.email)), h("td", val(m.list)), h("td", m.kind), h("td", fmtTime(m.next_attempt_at)),
        h("td.actions", h("button.small", { type: "button", "aria-label": `Cancel message ${m.id} to ${m.email}`,
          on: { click: () => onCancel(m) } }, "Cancel")))),
      { label: "Queued messages", empty: "No queued messages." }),
    page.total > page.items.length ? h("p.muted", `The first ${page.items.length} are shown.`) : null);
}

function failedTable(page, onRetry) {
  return table(["To", "List", "Kind", "Subject", "Tries", "Last error", ""],
    page.items.map((m) => h("tr",
      h("td", val(m.email)), h("td", val(m.list)), h("td", m.kind), h("td", val(m.subject)),
      h("td.num", String(m.attempts)), h("td", val(m.last_error)),
      h("td.actions", h("button.small", { type: "button", "aria-label": `Retry message ${m.id} to ${m.email}`,
        on: { click: () => onRetry(m) } }, "Retry")))),
    { label: "Failed messages", empty: "No failed messages." });
}

async function autoresponderSection(lists) {
  const section = h("section.card", { "aria-labelledby": "ar-heading" },
    h("h2", { id: "ar-heading" }, "Autoresponders"));
  if (!lists.length) {
    section.append(h("p.muted", "Create a list first; autoresponders belong to a list."));
    return section;
  }
  const status = h("div.form-status");
  const chooser = select(lists.map((l) => [String(l.id), l.name]), String(lists[0].id),
    { name: "autoresponder_list" });
  const body = h("div");
  const listName = () => lists.find((l) => String(l.id) === chooser.value)?.name ?? "";
  async function refresh() {
    const items = await api.get(`/lists/${chooser.value}/autoresponders`);
    replace(body, table(["Subject", "Sent after", "Body", ""],
      items.map((a) => h("tr",
        h("td", val(a.subject)), h("td", delayText(a.delay_s)),
        h("td", h("div.preview", val(a.body.length > 160 ? `${a.body.slice(0, 160)}…` : a.body))),
        h("td.actions", deleteButton(`Delete autoresponder ${a.subject}`,
          `Delete the autoresponder “${a.subject}”? Its queued messages are dropped.`,
          async () => { await api.del(`/autoresponders/${a.id}`); await refresh(); }, status)))),
      { label: `Autoresponders of ${listName()}`, empty: "This list has no autoresponders." }));
  }
  chooser.addEventListener("change", () => { replace(status); refresh().catch((err) =>
    replace(status, message("error", err.message))); });
  const subject = h("input", { name: "subject", required: true, maxlength: "998" });
  const text = h("textarea", { name: "body", rows: "6", required: true });
  const delay = h("input", { name: "delay", type: "number", min: "0", value: "0",
    inputmode: "numeric" });
  delay.defaultValue = "0";  // what form.reset() goes back to
  const unit = select(UNITS, "3600", { name: "delay_unit", "aria-label": "Delay unit" });
  const form = apiForm("New autoresponder", [
    field("Subject", subject, "Tags: %FIRSTNAME%, %LASTNAME%, %EMAIL% and custom field tags."),
    field("Body (plain text)", text),
    h("div.field", field("Delay after subscribing", delay), unit),
  ], "Add autoresponder", async () => {
    const delayS = Number(delay.value || "0") * Number(unit.value);
    const created = await api.post(`/lists/${chooser.value}/autoresponders`,
      { subject: subject.value, body: text.value, delay_s: delayS });
    form.reset();
    await refresh();
    return `Autoresponder “${created.subject}” added to ${created.list}.`;
  });
  await refresh();
  section.append(field("List", chooser), status, body, form);
  return section;
}

function delayText(seconds) {
  if (!seconds) return "at once";
  for (const [size, name] of [[86400, "d"], [3600, "h"], [60, "min"]]) {
    if (seconds % size === 0) return `${seconds / size} ${name}`;
  }
  return `${seconds} s`;
}

export async function mailPage() {
  const page = h("section");
  const [settings, lists] = await Promise.all([api.get("/mail/settings"), api.get("/lists")]);
  const outboxStatus = h("div.form-status");
  const summaryBox = h("div");
  const failedBox = h("div");
  const queuedBox = h("div");
  let timer = null;
  let shown = { summary: "", failed: "", queued: "" };
  async function refreshOutbox() {
    const [summary, failed, queued] = await Promise.all([api.get("/mail/outbox/summary"),
      api.get(`/mail/outbox${qs({ state: "failed", limit: 100 })}`),
      api.get(`/mail/outbox${qs({ state: "queued", limit: 100 })}`)]);
    // Redrawn only when something changed, so that a focused Retry or Cancel
    // button is not taken away from under the keyboard every few seconds.
    const next = { summary: JSON.stringify(summary), failed: JSON.stringify(failed),
      queued: JSON.stringify(queued) };
    if (next.summary !== shown.summary) replace(summaryBox, summaryView(summary));
    if (next.queued !== shown.queued) replace(queuedBox, queuedTable(queued, cancelOne, cancelAll));
    if (next.failed !== shown.failed) {
      replace(failedBox, h("h3", `Failed messages (${failed.total})`), failedTable(failed, retry));
    }
    shown = next;
  }
  async function cancelOne(m) {
    try {
      await api.post(`/mail/outbox/${m.id}/cancel`);
      replace(outboxStatus, message("ok", `Message ${m.id} to ${m.email} is cancelled; it will not be sent.`));
      await refreshOutbox();
    } catch (err) {
      replace(outboxStatus, message("error", err.message));
    }
  }
  async function cancelAll() {
    if (!(await confirmDialog("Cancel every queued message? They will never be sent; " +
      "a contact waiting for a confirmation stays unconfirmed.", "Cancel messages"))) return;
    try {
      const { cancelled } = await api.post("/mail/outbox/cancel-queued");
      replace(outboxStatus, message("ok", `${cancelled} queued message${cancelled === 1 ? " is" : "s are"} cancelled; they will not be sent.`));
      await refreshOutbox();
    } catch (err) {
      replace(outboxStatus, message("error", err.message));
    }
  }
  async function retry(m) {
    try {
      await api.post(`/mail/outbox/${m.id}/retry`);
      replace(outboxStatus, message("ok", `Message ${m.id} to ${m.email} is queued again.`));
      await refreshOutbox();
    } catch (err) {
      replace(outboxStatus, message("error", err.message));
    }
  }
  await refreshOutbox();
  // While the page is open the numbers follow the queue as it drains; the
  // router calls csCleanup when another page replaces this one.
  timer = setInterval(() => {
    if (!page.isConnected) { clearInterval(timer); return; }
    refreshOutbox().catch(() => { /* shown on the next success; a 401 logs out */ });
  }, REFRESH_MS);
  const prevCleanup = window.csCleanup;
  window.csCleanup = () => { clearInterval(timer); if (prevCleanup) prevCleanup(); };
  const outbox = h("section.card", { "aria-labelledby": "outbox-heading" },
    h("h2", { id: "outbox-heading" }, "Outbox"),
    h("p.muted", "Confirmations and autoresponders wait here and go out within the hourly cap."),
    outboxStatus, summaryBox, queuedBox, failedBox);
  replace(page, pageHeader("Mail",
    "Sending settings, the outbox, and the autoresponders of each list."),
  settingsForm(settings), outbox, await autoresponderSection(lists));
  return page;
}
