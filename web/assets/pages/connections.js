// Saved connections: the Connections page (#/connections) lists, tests, edits
// and deletes them; the connection form below is shared with step 1 of the
// wizard. A connection is tested before it is saved, and one whose test
// failed is saved only when the user ticks "Save anyway": a saved connection
// with a wrong password would otherwise take its name for nothing.
import { api } from "../api.js";
import { h, replace, append, field, select, checkbox, message, val, table, confirmDialog, whileBusy } from "../dom.js";
import { pageHeader } from "./common.js";

const DB_TYPES = [["mariadb", "MariaDB"], ["mysql", "MySQL"], ["postgresql", "PostgreSQL"], ["sqlite", "SQLite"]];
const DEFAULT_PORTS = { mariadb: 3306, mysql: 3306, postgresql: 5432 };
const TLS = [["prefer", "prefer"], ["disable", "disable"], ["require", "require"], ["verify_ca", "verify with CA"]];

// What the form edits, as text (the inputs' values).
export function blankConnection() {
  return { name: "", type: "mariadb", host: "127.0.0.1", port: "", user: "", password: "",
    database: "", tls_mode: "prefer", tls_ca_file: "", allowed_functions: "",
    allow_privileged: false, connect_timeout_s: "10", query_timeout_s: "300" };
}

// A saved connection (as GET /connections answers) as the form edits it; the
// password field starts empty: empty keeps the saved password.
function savedValues(conn) {
  return { ...blankConnection(), name: conn.name, type: conn.type, host: conn.host ?? "",
    port: conn.port ? String(conn.port) : "", user: conn.user ?? "", database: conn.database ?? "",
    tls_mode: conn.tls_mode || "prefer", tls_ca_file: conn.tls_ca_file ?? "",
    allowed_functions: (conn.allowed_functions || []).join(", "),
    allow_privileged: Boolean(conn.allow_custom_query_with_privileged_account),
    connect_timeout_s: String(conn.connect_timeout_s ?? 10), query_timeout_s: String(conn.query_timeout_s ?? 300) };
}

// The server keeps MariaDB and MySQL as one type ("mysql"): one driver speaks to both.
const sameType = (type) => (type === "mariadb" ? "mysql" : type);
const typeLabel = (type) => (type === "mysql" ? "MariaDB or MySQL"
  : (DB_TYPES.find(([k]) => k === type) || [type, type])[1]);
const effectivePort = (v) => String(v.port || DEFAULT_PORTS[v.type] || "");

// The settings as POST/PUT /connections and POST /connections/test take them.
// `withPassword` false leaves the password out, so a PUT keeps the saved one.
function settingsBody(v, withPassword) {
  const out = { name: v.name.trim(), type: v.type, database: v.database.trim() };
  if (v.type !== "sqlite") {
    Object.assign(out, { host: v.host.trim(), user: v.user, tls_mode: v.tls_mode, tls_ca_file: v.tls_ca_file });
    if (v.port) out.port = Number(v.port);
    if (withPassword) out.password = v.password;
  }
  if (v.connect_timeout_s) out.connect_timeout_s = Number(v.connect_timeout_s);
  if (v.query_timeout_s) out.query_timeout_s = Number(v.query_timeout_s);
  out.allowed_functions = v.allowed_functions.split(/[\s,]+/).filter((f) => f !== "");
  out.allow_custom_query_with_privileged_account = v.allow_privileged;
  return out;
}

// What makes the server drop a saved password on a PUT (app/connections.cpp,
// WhyPasswordCannotFollow): a password must not follow to another server or account.
function passwordCannotFollow(saved, v) {
  if (sameType(saved.type) !== sameType(v.type)) return "the type";
  if (v.type === "sqlite") return "";
  if ((saved.host ?? "") !== v.host.trim()) return "the host";
  if (String(saved.port ?? "") !== effectivePort(v)) return "the port";
  if ((saved.user ?? "") !== v.user) return "the user";
  if ((saved.tls_mode || "prefer") !== v.tls_mode) return "the TLS mode";
  if ((saved.tls_ca_file ?? "") !== v.tls_ca_file) return "the CA file";
  return "";
}

// What a passed test shows: the server, the driver's warnings, and when the
// account can write or has rights beyond data, that custom queries are
// refused on it, with `consent` (the checkbox that allows them) when given.
export function testSuccess(r, consent) {
  let warnings = [...new Set([...(r.warnings || []), ...(r.warning ? [r.warning] : [])])];
  let privileged = null;
  if (r.can_write || r.privileged) {
    // The block below says what the server's account warning says, with the
    // consent next to it: the warning is shown once, there.
    warnings = warnings.filter((w) => w !== r.warning);
    const what = r.can_write && r.privileged ? "can change data and has rights beyond data"
      : r.can_write ? "can change data" : "has rights beyond data";
    const where = consent ? "below" : "when you edit the connection";
    privileged = h("div.privileged", message("warn", `This account ${what}. Custom queries are refused ` +
      `on it unless you allow them ${where}; a table with rules works either way. Safer: give ` +
      "contactsync an account that can only SELECT (see docs/read-only.md)."), consent ? consent.el : null);
  }
  return [message("ok", `Connected${r.server_version ? ` to ${r.server_version}` : ""}.`),
    warnings.map((w) => message("warn", w)), privileged];
}

// The checkbox that allows custom queries on an account that can write.
export function privilegeConsent(checked, onChange) {
  const consent = checkbox(
    "Allow custom queries on this account anyway (not advised: a SELECT-only account is safer)",
    checked, { name: "allow_privileged" });
  consent.input.addEventListener("change", () => onChange(consent.input.checked, consent));
  return consent;
}

// The form of one connection: every setting, Test connection, and save()
// that tests first. `values` (blankConnection() shape) is edited in place, so
// the wizard keeps what was typed across its steps. `saved`: the connection
// being edited (its name cannot change), or null for a new one.
// `takenNames()`: the names already saved, refused at the name field.
export function connectionForm(values, { saved = null, takenNames = () => [] } = {}) {
  const v = values;
  let passedKey = null;  // the settings of the last passed test, as JSON
  const errors = new Map();  // input -> its error element

  const testOut = h("div.test-out", { "aria-live": "polite" });
  const saveAnyway = checkbox("Save this connection although the test failed", false,
    { name: "save_anyway" });
  saveAnyway.el.hidden = true;
  const forget = () => {
    // Changed settings need a new test; the consent to skip it was for the old ones.
    saveAnyway.input.checked = false;
    saveAnyway.el.hidden = true;
  };

  const clearError = (el) => {
    const err = errors.get(el);
    if (err) { err.remove(); errors.delete(el); }
    el.removeAttribute("aria-invalid");
  };
  const showError = (el, text) => {
    clearError(el);
    const err = h("div.field-error", { id: `${el.id}-error` }, message("error", text));
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-errormessage", err.id);
    el.closest(".field").append(err);
    errors.set(el, err);
    el.focus();
    return null;
  };

  const input = (key, attrs = {}) => {
    const el = h("input", { name: `conn_${key}`, value: v[key] ?? "", ...attrs });
    el.addEventListener("input", () => { v[key] = el.value; clearError(el); forget(); identityNote(); });
    return el;
  };
  const nameInput = saved ? null : input("name", { required: true, autocomplete: "off" });
  // A saved MariaDB or MySQL connection does not remember which of the two it named.
  const types = saved && v.type === "mysql"
    ? DB_TYPES.filter(([k]) => k !== "mariadb").map(([k, label]) => [k, k === "mysql" ? typeLabel(k) : label])
    : DB_TYPES;
  const type = select(types, v.type, { name: "conn_type" });
  const port = input("port", { inputmode: "numeric" });
  const tls = select(TLS, v.tls_mode, { name: "conn_tls_mode" });
  const caField = field("CA file (on the server)", input("tls_ca_file"));
  const dbInput = input("database");
  const dbField = field("Database", dbInput);
  const password = input("password", { type: "password", autocomplete: "new-password" });
  const passwordHint = !saved ? "Stored encrypted; never shown again."
    : saved.has_password ? "Leave empty to keep the saved password."
      : "No password is saved; leave empty if the account has none.";
  const passwordNote = h("div.password-note", { "aria-live": "polite" });
  const network = h("div",
    h("div.form-grid",
      field("Host", input("host", { autocomplete: "off" })), field("Port", port),
      field("User", input("user", { autocomplete: "off" })),
      field("Password", password, passwordHint),
      field("TLS", tls), caField),
    passwordNote);

  // Before saving, say that the saved password will be dropped (the server's rule).
  function identityNote() {
    const why = saved && saved.has_password && !v.password ? passwordCannotFollow(saved, v) : "";
    replace(passwordNote, why ? message("warn", `You changed ${why}: the saved password is removed ` +
      "when you save, so enter the password again (leave it empty only if the account has none).") : null);
  }
  const typeSync = () => {
    v.type = type.value;
    v.tls_mode = tls.value;
    network.hidden = v.type === "sqlite";
    caField.hidden = v.tls_mode !== "verify_ca";
    port.placeholder = String(DEFAULT_PORTS[v.type] || "");
    dbField.querySelector("label").textContent = v.type === "sqlite" ? "Database file path" : "Database";
    forget();
    identityNote();
  };
  type.addEventListener("change", typeSync);
  tls.addEventListener("change", typeSync);

  const functions = input("allowed_functions", { autocomplete: "off", placeholder: "shop.discount, score" });
  const advanced = h("details.advanced", h("summary", "Advanced: timeouts and custom-query policy"),
    h("div.form-grid",
      field("Connect timeout (seconds)", input("connect_timeout_s", { inputmode: "numeric" })),
      field("Query timeout (seconds)", input("query_timeout_s", { inputmode: "numeric" }))),
    field("Allowed functions", functions,
      "User-defined functions your custom queries may call, separated by commas (NAME or " +
      "SCHEMA.NAME). contactsync cannot see inside them: list only functions you trust " +
      "not to change anything."));

  // Shown by a test when the account can write: custom queries are refused
  // on it unless the owner ticks this (docs/read-only.md); saved with the connection.
  const consent = () => privilegeConsent(v.allow_privileged, (allow) => { v.allow_privileged = allow; });

  // Without a new password, an edited connection keeps the saved one, which
  // the browser never sees: such settings can only be tested once saved.
  const usesSavedPassword = () => Boolean(saved && saved.has_password && !v.password &&
    v.type !== "sqlite" && !passwordCannotFollow(saved, v));
  // What a test depends on: not the custom-query policy, which ticking the
  // consent in a passed test's result changes.
  const testKey = () => {
    const { allowed_functions: _f, allow_custom_query_with_privileged_account: _p, ...rest } = settingsBody(v, true);
    return JSON.stringify(rest);
  };

  // Tests the settings as typed; true when they connect. Shows the outcome.
  async function test() {
    replace(testOut, message("info", "Connecting…"));
    try {
      let r;
      if (usesSavedPassword()) {
        if (JSON.stringify(settingsBody(v, false)) !== JSON.stringify(settingsBody(savedValues(saved), false))) {
          replace(testOut, message("info", "These settings use the saved password, which the browser never " +
            "sees: save them first, or enter the password to test them now."));
          return false;
        }
        r = await api.post(`/connections/${saved.id}/test`);
      } else {
        const key = testKey();
        r = await api.post("/connections/test", settingsBody(v, true));
        passedKey = key;
      }
      replace(testOut, testSuccess(r, consent()));
      return true;
    } catch (err) {
      passedKey = null;
      replace(testOut, message("error", `Connection failed: ${err.message}`));
      return false;
    }
  }

  const testBtn = h("button", { type: "button" }, "Test connection");
  testBtn.addEventListener("click", () => whileBusy(testBtn, test));

  // The problems found without asking the server, each at its field.
  function checkLocally() {
    for (const el of [...errors.keys()]) clearError(el);
    if (nameInput) {
      const name = v.name.trim();
      if (!name) return showError(nameInput, "Give the connection a name.");
      if (takenNames().includes(name)) {
        return showError(nameInput, `A connection named “${name}” is already saved: choose another ` +
          "name, or use the saved connection.");
      }
    }
    if (!v.database.trim()) {
      return showError(dbInput, v.type === "sqlite" ? "Enter the path of the database file." : "Enter the database name.");
    }
    return true;
  }

  // Tests (unless a passed test of the same settings stands, or the user
  // ticked Save anyway), then saves. Returns the saved connection (PUT adds
  // password_cleared/_because), or null with the reason shown by the fields.
  async function save() {
    if (!checkLocally()) return null;
    const mustTest = !usesSavedPassword() && !saveAnyway.input.checked && passedKey !== testKey();
    if (mustTest && !(await test())) {
      const failure = testOut.querySelector(".msg-error");
      failure.textContent = `The test failed, so the connection was not saved. ${failure.textContent}`;
      failure.setAttribute("tabindex", "-1");
      saveAnyway.el.hidden = false;
      failure.focus();
      return null;
    }
    try {
      const body = settingsBody(v, !saved || v.password !== "");
      const result = saved ? await api.put(`/connections/${saved.id}`, body)
        : await api.post("/connections", body);
      forget();
      return result;
    } catch (err) {
      const failure = message("error", `The connection was not saved: ${err.message}`);
      failure.setAttribute("tabindex", "-1");
      replace(testOut, failure);
      failure.focus();
      return null;
    }
  }

  const el = h("div.connection-form",
    h("div.form-grid",
      nameInput ? field("Connection name", nameInput, "Saved under this name for other syncs.") : null,
      field("Database type", type), dbField),
    network, advanced, h("div.actions", testBtn), testOut, saveAnyway.el);
  typeSync();
  return { el, save, test, focus: () => (nameInput || type).focus() };
}

// ---- the page ----

function serverCell(c) {
  if (c.type === "sqlite") return h("td", val(c.database));
  return h("td", val(`${c.host}${c.port ? `:${c.port}` : ""}`));
}

// The question Delete asks: plain for an unused connection; naming the syncs
// (deleted with it, since they could never run again) for a used one.
function deleteQuestion(conn, users) {
  if (!users.length) return `Delete the connection “${conn.name}”? No sync uses it.`;
  const one = users.length === 1;
  return `Delete the connection “${conn.name}”? ${one ? "The sync" : "The syncs"} ` +
    `${users.map((n) => `“${n}”`).join(", ")} ${one ? "reads" : "read"} through it and ` +
    `${one ? "is" : "are"} deleted too, with ${one ? "its" : "their"} run history.`;
}

export async function connectionsPage() {
  const page = h("section.connections-page");
  const status = h("div.form-status");
  const body = h("div");
  const formSlot = h("div");
  let connections = [];
  let syncs = [];
  const usersOf = (conn) => syncs.filter((s) => (s.definition || {}).connection === conn.name).map((s) => s.name);

  const say = (...nodes) => {
    replace(status, nodes);
    const first = status.firstElementChild;
    if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
  };

  async function load() {
    [connections, syncs] = await Promise.all([api.get("/connections"), api.get("/syncs")]);
  }

  function openForm(conn) {
    const values = conn ? savedValues(conn) : blankConnection();
    const form = connectionForm(values, { saved: conn,
      takenNames: () => connections.map((c) => c.name) });
    const title = conn ? `Edit connection “${conn.name}”` : "Add connection";
    const heading = h("h2", { tabindex: "-1" }, title);
    const submit = h("button.primary", { type: "submit" }, conn ? "Save changes" : "Save connection");
    const cancel = h("button", { type: "button", on: { click: () => replace(formSlot) } }, "Cancel");
    const el = h("form.card", { "aria-label": title, novalidate: true }, heading, form.el,
      h("div.actions", cancel, submit));
    el.addEventListener("submit", (e) => {
      e.preventDefault();
      whileBusy(submit, async () => {
        const result = await form.save();
        if (!result) return;
        replace(formSlot);
        await load();
        draw();
        await savedMessage(result, Boolean(conn) && !values.password);
      });
    });
    replace(formSlot, el);
    heading.focus();
  }

  // After a save: what the server did with the password, and for settings
  // saved untested (they use the saved password), the test of the saved connection.
  async function savedMessage(result, testAfter) {
    const done = message("ok", `Connection “${result.name}” saved.`);
    const cleared = result.password_cleared ? message("warn", `The saved password was removed because ` +
      `${result.password_cleared_because}: edit the connection and enter the password again.`) : null;
    say(done, cleared);
    if (!testAfter || result.password_cleared) return;
    try {
      append(status, testSuccess(await api.post(`/connections/${result.id}/test`)));
    } catch (err) {
      append(status, message("error", `Saved, but the test failed: ${err.message}`));
    }
  }

  function testButton(conn, resultCell) {
    const btn = h("button.small", { type: "button", "aria-label": `Test connection ${conn.name}` }, "Test");
    btn.addEventListener("click", () => whileBusy(btn, async () => {
      resultCell.parentElement.hidden = false;
      replace(resultCell, message("info", `Connecting to “${conn.name}”…`));
      try {
        replace(resultCell, testSuccess(await api.post(`/connections/${conn.id}/test`)));
      } catch (err) {
        replace(resultCell, message("error", `Connection “${conn.name}” failed: ${err.message}`));
      }
    }));
    return btn;
  }

  // Asks first (naming the syncs that go with it); only a confirmation that
  // named them sends ?force=true. A sync added meanwhile makes the server
  // answer 409, and the question is asked again with its name.
  async function remove(conn) {
    let users = usersOf(conn);
    for (;;) {
      if (!(await confirmDialog(deleteQuestion(conn, users)))) return;
      try {
        await api.del(`/connections/${conn.id}${users.length ? "?force=true" : ""}`);
        await load();
        draw();
        say(message("ok", `Connection “${conn.name}” deleted${users.length ? `, with ${users.map((n) => `“${n}”`).join(", ")}` : ""}.`));
        return;
      } catch (err) {
        if (err.status !== 409) { say(message("error", err.message)); return; }
        await load();
        const now = usersOf(conn);
        if (!now.length || now.join("\n") === users.join("\n")) { say(message("error", err.message)); return; }
        users = now;
      }
    }
  }

  function draw() {
    if (!connections.length) {
      replace(body, h("div.card.empty-state",
        h("p", "A connection is how contactsync reaches one of your databases (MariaDB, MySQL, " +
          "PostgreSQL or SQLite) to read contacts from it. Syncs read through a connection, and " +
          "several syncs can share one. No connection is saved yet."),
        h("button.primary", { type: "button", on: { click: () => openForm(null) } }, "Add a connection")));
      return;
    }
    const rows = [];
    for (const c of connections) {
      const users = usersOf(c);
      const resultCell = h("td.test-out", { colspan: "7", "aria-live": "polite" });
      const resultRow = h("tr.test-row", { hidden: true }, resultCell);
      resultCell.dataset.label = `Test of ${c.name}`;
      rows.push(h("tr",
        h("td", val(c.name)),
        h("td", typeLabel(c.type)),
        serverCell(c),
        h("td", c.type === "sqlite" ? val("") : val(c.database)),
        h("td", c.type === "sqlite" ? val("") : val(c.user),
          c.type !== "sqlite" && !c.has_password ? h("div.muted.small", "no password saved") : null),
        h("td", users.length ? users.map((n, i) => [i ? ", " : "", h("bdi", n)])
          : h("span.muted", "no sync")),
        h("td.actions",
          testButton(c, resultCell),
          h("button.small", { type: "button", "aria-label": `Edit connection ${c.name}`,
            on: { click: () => openForm(c) } }, "Edit"),
          h("button.small.danger", { type: "button", "aria-label": `Delete connection ${c.name}`,
            on: { click: () => remove(c) } }, "Delete"))));
      rows.push(resultRow);
    }
    replace(body, table(["Name", "Type", "Server or file", "Database", "User", "Used by syncs", ""], rows,
      { label: "Connections" }));
  }

  await load();
  draw();
  replace(page, pageHeader("Connections",
    "The databases contactsync reads contacts from. A connection never changes its database.",
    h("button", { type: "button", on: { click: () => openForm(null) } }, "Add connection")),
  status, body, formSlot);
  return page;
}
