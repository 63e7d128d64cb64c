// The Add Sync wizard (also Edit: the same steps, filled in):
//   1 name, connection (saved or new, with Test connection), list, status, autoresponders
//   2 a table from the live list, or a custom query (described by the server, not run)
//   3 one drop-down per column, with sample values; duplicate and missing-required
//     mappings are flagged before anything is saved
//   4 rules and options
//   5 Add (save), Test, Run
// The server repeats every check on save; the wizard's checks only say it sooner.
import { api, qs } from "../api.js";
import { h, replace, append, field, select, checkbox, message, val, table, uid, setBusy, isBusy, whileBusy } from "../dom.js";
import { runPanel } from "../runpanel.js";
import { testResult, targetLabeller } from "./testresult.js";
import { showMailWarning } from "../mailwarning.js";
import { connectionForm, blankConnection, privilegeConsent, testSuccess } from "./connections.js";

const STEPS = ["Source database", "Table or query", "Map columns", "Rules and options", "Save, test, run"];
const ENTRY_STATUSES = [
  ["active", "active — receives campaigns"],
  ["unconfirmed", "unconfirmed — is sent a confirmation email first"],
  ["unsubscribed", "unsubscribed — recorded, receives nothing"],
  ["excluded", "excluded — put on the list's exclusion list"],
];
export const OPERATORS = [
  ["equals", "equals"], ["not_equals", "does not equal"],
  ["greater_than", "is greater than"], ["greater_or_equal", "is greater than or equal to"],
  ["less_than", "is less than"], ["less_or_equal", "is less than or equal to"],
  ["contains", "contains"], ["not_contains", "does not contain"],
  ["starts_with", "starts with"], ["ends_with", "ends with"],
  ["is_empty", "is empty (NULL or '')"], ["is_not_empty", "is not empty"],
  ["in", "is one of"],
];
const NO_VALUE = new Set(["is_empty", "is_not_empty"]);
const STANDARD_TARGETS = [["email", "Email"], ["first_name", "First name"], ["last_name", "Last name"],
  ["phone", "Phone"]];

function freshState() {
  return {
    id: null, savedJson: null, name: "",
    connMode: "existing", connectionId: null, connection: "",
    conn: blankConnection(),
    list: "", status: "active", send_autoresponders: false,
    sourceMode: "table", schema: "", table: "", query: "",
    columns: null, columnsKey: "", preview: null,
    mapping: {}, match: "all", conditions: [],
    update_existing: true, delete_not_affected: false, max_delete_fraction: 0.5,
  };
}

function columnName(c) { return typeof c === "string" ? c : c.name; }
function columnType(c) { return typeof c === "string" ? "" : (c.declared_type || c.type || c.kind || ""); }

function guessTarget(column, fields) {
  const n = column.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (["email", "mail", "emailaddress"].includes(n)) return "email";
  if (["firstname", "fname", "givenname", "forename"].includes(n)) return "first_name";
  if (["lastname", "lname", "surname", "familyname"].includes(n)) return "last_name";
  if (["phone", "telephone", "tel", "mobile", "phonenumber"].includes(n)) return "phone";
  const f = fields.find((x) => x.key.toLowerCase().replace(/[^a-z0-9]/g, "") === n);
  return f ? `%${f.key}%` : "";
}

// The problems of a mapping that a save would refuse: no email, a required
// custom field unmapped, two columns onto one field. Returns {messages, duplicateColumns}.
export function mappingProblems(mapping, fields) {
  const messages = [];
  const byTarget = new Map();
  for (const [col, target] of Object.entries(mapping)) {
    if (!target) continue;
    if (!byTarget.has(target)) byTarget.set(target, []);
    byTarget.get(target).push(col);
  }
  const label = (t) => (STANDARD_TARGETS.find(([k]) => k === t) || [])[1] ||
    (() => { const f = fields.find((x) => `%${x.key}%` === t); return f ? `${f.label} (${t})` : t; })();
  if (!byTarget.has("email")) messages.push("Map a column to Email: every contact needs an address.");
  for (const f of fields) {
    if (f.required && !byTarget.has(`%${f.key}%`)) {
      messages.push(`The custom field ${f.label} (%${f.key}%) is required: map a column to it.`);
    }
  }
  const duplicateColumns = new Set();
  for (const [target, cols] of byTarget) {
    if (cols.length > 1) {
      messages.push(`Columns ${cols.join(", ")} all map to ${label(target)}: map only one.`);
      cols.forEach((c) => duplicateColumns.add(c));
    }
  }
  return { messages, duplicateColumns };
}

export async function wizardPage(syncId) {
  const st = freshState();
  const [lists, fields, connections] = await Promise.all([api.get("/lists"), api.get("/fields"),
    api.get("/connections")]);
  let existing = null;
  if (syncId) {
    existing = await api.get(`/syncs/${syncId}`);
    const d = existing.definition || {};
    Object.assign(st, {
      id: syncId, name: d.name || existing.name, connection: d.connection, list: d.list,
      status: d.status || "active", send_autoresponders: !!d.send_autoresponders,
      sourceMode: d.source && d.source.query ? "query" : "table",
      schema: (d.source && d.source.schema) || "", table: (d.source && d.source.table) || "",
      query: (d.source && d.source.query) || "", mapping: { ...(d.mapping || {}) },
      match: (d.rules && d.rules.match) || "all",
      conditions: ((d.rules && d.rules.conditions) || []).map((c) => ({ ...c })),
      update_existing: d.update_existing !== false, delete_not_affected: !!d.delete_not_affected,
      max_delete_fraction: d.max_delete_fraction ?? 0.5,
    });
    const conn = connections.find((c) => c.name === d.connection);
    st.connectionId = conn ? conn.id : null;
  }
  if (!connections.length) st.connMode = "new";
  if (!st.list && lists.length) st.list = lists[0].name;
  if (!st.connectionId && st.connMode === "existing" && connections.length) {
    st.connectionId = connections[0].id;
    st.connection = connections[0].name;
  }

  let step = 0;
  let maxStep = syncId ? STEPS.length - 1 : 0;
  const title = h("h1", syncId ? `Edit sync “${st.name}”` : "Add sync");
  const stepper = h("ol.stepper", { "aria-label": "Wizard steps" });
  const body = h("div.wizard-body");
  const status = h("div.form-status");
  const back = h("button", { type: "button" }, "← Back");
  const next = h("button.primary", { type: "button" }, "Next →");
  const nav = h("div.actions.wizard-nav", back, next);
  const page = h("section.wizard", { dataset: { step: "1" } }, title, stepper, status, body, nav);

  // Leaving with unsaved input asks first (app.js): once anything was typed or
  // chosen, until the definition in the form is the one last saved.
  let touched = false;
  page.addEventListener("input", () => { touched = true; });
  page.addEventListener("change", () => { touched = true; });
  window.csLeaveGuard = () => (touched && JSON.stringify(definition()) !== st.savedJson
    ? "The sync is not saved. Leave the wizard and lose what you entered?" : null);

  // A step not reached yet is locked: it is listed (a screen reader hears it
  // as unavailable) but cannot be focused, pointed at or clicked.
  function drawStepper() {
    replace(stepper, STEPS.map((label, i) => {
      const current = i === step;
      const locked = i > maxStep;
      const btn = h("button.step", { type: "button", disabled: current,
        "aria-current": current ? "step" : null, "aria-disabled": locked ? "true" : null,
        tabindex: locked ? "-1" : null,
        on: { click: () => { if (!locked) go(i); } } }, h("span.num", String(i + 1)), h("span.lbl", label));
      return h("li", { class: current ? "current" : (i < step ? "done" : "") }, btn);
    }));
  }

  const steps = [step1, step2, step3, step4, step5];
  let commit = async () => true;

  async function go(i) {
    replace(status);
    if (i >= 2 && !(await ensureColumns())) return;
    step = i;
    maxStep = Math.max(maxStep, i);
    page.dataset.step = String(i + 1);
    drawStepper();
    replace(body, h("p.muted", "Loading…"));
    try {
      commit = (await steps[i]()) || (async () => true);
    } catch (err) {
      replace(body, message("error", err.message));
      commit = async () => false;
    }
    back.hidden = i === 0;
    next.hidden = i === STEPS.length - 1;
    const heading = body.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
  back.addEventListener("click", () => go(Math.max(0, step - 1)));
  next.addEventListener("click", () => whileBusy(next, async () => {
    replace(status);
    try {
      if (await commit()) await go(step + 1);
    } catch (err) {
      replace(status, message("error", err.message));
    }
  }));

  function fail(text) {
    replace(status, message("error", text));
    status.scrollIntoView({ block: "nearest" });
    return false;
  }

  // ---- step 1 ----
  // A saved connection's settings as a PUT takes them: no password, so the
  // stored one is kept (nothing that names the server or account changes).
  function savedSettings(conn, changes) {
    const keys = ["type", "host", "port", "user", "database", "tls_mode", "tls_ca_file",
      "connect_timeout_s", "query_timeout_s", "allowed_functions",
      "allow_custom_query_with_privileged_account"];
    const out = {};
    for (const k of keys) if (conn[k] !== undefined) out[k] = conn[k];
    return { ...out, ...changes };
  }

  async function step1() {
    const name = h("input", { name: "sync_name", required: true, value: st.name });
    // A name another sync has is refused here, at the field, not only on save.
    const nameStatus = h("div.name-status");
    const nameRefused = (text) => {
      name.setAttribute("aria-invalid", "true");
      replace(nameStatus, message("error", text));
      name.focus();
      return false;
    };
    name.addEventListener("input", () => {
      st.name = name.value;
      name.removeAttribute("aria-invalid");
      replace(nameStatus);
    });

    const useSaved = h("input", { type: "radio", name: "conn_mode", id: uid(), value: "existing",
      checked: st.connMode === "existing", disabled: !connections.length });
    const useNew = h("input", { type: "radio", name: "conn_mode", id: uid(), value: "new",
      checked: st.connMode === "new" });
    const savedSel = select(connections.map((c) => [c.id, `${c.name} (${c.type}${c.host ? ` · ${c.host}` : ""}${c.database ? ` · ${c.database}` : ""})`]),
      st.connectionId, { name: "connection" });
    savedSel.addEventListener("change", () => {
      st.connectionId = Number(savedSel.value);
      st.connection = (connections.find((c) => c.id === st.connectionId) || {}).name || "";
      st.columns = null;
      replace(testOut);
    });

    // A new connection: the form of the Connections page, which tests before it saves.
    const newConn = connectionForm(st.conn, { takenNames: () => connections.map((x) => x.name) });
    const newBox = h("div.sub", newConn.el);

    const testOut = h("div.test-out", { "aria-live": "polite" });
    const savedConn = () => connections.find((x) => x.id === st.connectionId) || {};
    // The consent to custom queries on an account that can write is a
    // setting of the saved connection: saved as soon as it is ticked.
    const consent = () => privilegeConsent(Boolean(savedConn().allow_custom_query_with_privileged_account),
      async (allow, box) => {
        try {
          const updated = await api.put(`/connections/${st.connectionId}`,
            savedSettings(savedConn(), { allow_custom_query_with_privileged_account: allow }));
          Object.assign(savedConn(), updated);
          if (updated.password_cleared) {
            append(testOut, message("warn", `The saved password was removed because ${updated.password_cleared_because}: enter it again on the Connections page.`));
          }
        } catch (err) {
          box.input.checked = !allow;
          append(testOut, message("error", `Could not save: ${err.message}`));
        }
      });
    const testBtn = h("button", { type: "button" }, "Test connection");
    testBtn.addEventListener("click", () => whileBusy(testBtn, async () => {
      replace(testOut, message("info", "Connecting…"));
      try {
        replace(testOut, testSuccess(await api.post(`/connections/${st.connectionId}/test`), consent()));
      } catch (err) {
        replace(testOut, message("error", `Connection failed: ${err.message}`));
      }
    }));
    const savedBox = h("div.sub", field("Saved connection", savedSel), h("div.actions", testBtn), testOut);
    const modeSync = () => {
      st.connMode = useNew.checked ? "new" : "existing";
      savedBox.hidden = st.connMode !== "existing";
      newBox.hidden = st.connMode !== "new";
    };
    useSaved.addEventListener("change", modeSync);
    useNew.addEventListener("change", modeSync);
    modeSync();

    const mailWarning = h("div.mail-warning-slot");
    const warnAboutMail = () => showMailWarning(mailWarning, st, lists).catch(() => replace(mailWarning));
    const listSel = select(lists.map((l) => [l.name, l.name]), st.list, { name: "list", required: true });
    listSel.addEventListener("change", () => { st.list = listSel.value; warnAboutMail(); });
    const statusSel = select(ENTRY_STATUSES, st.status, { name: "status" });
    statusSel.addEventListener("change", () => { st.status = statusSel.value; warnAboutMail(); });
    const auto = checkbox("Send the list's autoresponders to newly active contacts", st.send_autoresponders,
      { name: "send_autoresponders" });
    auto.input.addEventListener("change", () => { st.send_autoresponders = auto.input.checked; warnAboutMail(); });
    warnAboutMail();

    replace(body,
      h("h2", "1. Source database"),
      h("div.form-grid", field("Sync name", name)), nameStatus,
      h("fieldset", h("legend", "Connection"),
        h("div.radios",
          h("div.check", useSaved, h("label", { for: useSaved.id }, "Use a saved connection")),
          h("div.check", useNew, h("label", { for: useNew.id }, "New connection"))),
        savedBox, newBox),
      h("fieldset", h("legend", "Where contacts go"),
        lists.length ? h("div.form-grid", field("List", listSel),
          field("Status of new contacts", statusSel)) :
          message("warn", "There is no list yet: create one on the Lists page first."),
        auto.el, mailWarning));
    name.focus();

    return async () => {
      if (!st.name.trim()) return nameRefused("Give the sync a name.");
      const syncs = await api.get("/syncs");
      if (syncs.some((x) => x.name === st.name.trim() && x.id !== st.id)) {
        return nameRefused(`A sync named “${st.name.trim()}” already exists: choose another name.`);
      }
      if (!st.list) return fail("Choose the list the contacts go into.");
      if (st.connMode === "new") {
        // Tested first; a failed test keeps it unsaved, its error at the fields.
        const saved = await newConn.save();
        if (!saved) return false;
        connections.push(saved);
        st.connectionId = saved.id;
        st.connection = saved.name;
        st.connMode = "existing";
        st.columns = null;
        st.conn.password = "";
      } else {
        if (!st.connectionId) return fail("Choose a connection.");
        st.connection = (connections.find((x) => x.id === st.connectionId) || {}).name || st.connection;
      }
      return true;
    };
  }

  // ---- step 2 ----
  async function step2() {
    if (!st.connectionId) throw new Error(`The connection “${st.connection}” does not exist any more: choose another in step 1.`);
    let tables = [];
    let tablesError = null;
    try {
      tables = await api.get(`/connections/${st.connectionId}/tables`);
    } catch (err) {
      tablesError = err.message;
    }
    const keyOf = (t) => JSON.stringify([t.schema || "", t.name]);
    const useTable = h("input", { type: "radio", name: "source_mode", id: uid(), value: "table",
      checked: st.sourceMode === "table" });
    const useQuery = h("input", { type: "radio", name: "source_mode", id: uid(), value: "query",
      checked: st.sourceMode === "query" });
    const tableSel = select([["", "— choose a table —"], ...tables.map((t) => [keyOf(t),
      `${t.schema ? `${t.schema}.` : ""}${t.name}${(t.type || t.kind) === "view" ? " (view)" : ""}`])],
    st.table ? JSON.stringify([st.schema || "", st.table]) : "", { name: "table" });
    if (st.table && !tableSel.value) {
      // Saved with the schema left to the connection's default.
      const t = tables.find((x) => x.name === st.table);
      if (t) tableSel.value = keyOf(t);
    }
    const query = h("textarea.code", { name: "query", rows: "6", spellcheck: "false",
      placeholder: "SELECT email, first_name FROM customers WHERE ..." });
    query.value = st.query;
    const tableBox = h("div.sub", tablesError ? message("error", `Tables could not be listed: ${tablesError}`) : null,
      field("Table or view", tableSel, `${tables.length} tables and views on the connection “${st.connection}”.`));
    const queryBox = h("div.sub", field("Custom query", query,
      "One read-only SELECT (or WITH … SELECT). It is checked and described before anything runs; rules can still be added."));
    const modeSync = () => {
      st.sourceMode = useQuery.checked ? "query" : "table";
      tableBox.hidden = st.sourceMode !== "table";
      queryBox.hidden = st.sourceMode !== "query";
    };
    useTable.addEventListener("change", modeSync);
    useQuery.addEventListener("change", modeSync);
    modeSync();
    replace(body, h("h2", "2. Table or query"),
      h("fieldset", h("legend", "Read contacts from"),
        h("div.radios",
          h("div.check", useTable, h("label", { for: useTable.id }, "A table or view")),
          h("div.check", useQuery, h("label", { for: useQuery.id }, "A custom query"))),
        tableBox, queryBox));
    return async () => {
      if (st.sourceMode === "table") {
        if (!tableSel.value) return fail("Choose a table.");
        const [schema, name] = JSON.parse(tableSel.value);
        st.schema = schema;
        st.table = name;
      } else {
        if (!query.value.trim()) return fail("Write the query.");
        st.query = query.value.trim();
      }
      return ensureColumns();
    };
  }

  async function ensureColumns() {
    const key = JSON.stringify([st.connectionId, st.sourceMode, st.schema, st.table, st.query]);
    if (st.columns && st.columnsKey === key) return true;
    try {
      if (st.sourceMode === "table") {
        const where = { table: st.table, schema: st.schema };
        st.columns = await api.get(`/connections/${st.connectionId}/columns${qs(where)}`);
        try {
          st.preview = await api.get(`/connections/${st.connectionId}/preview${qs({ ...where, limit: 5 })}`);
        } catch { st.preview = null; }
      } else {
        const described = await api.post(`/connections/${st.connectionId}/describe`, { query: st.query });
        st.columns = Array.isArray(described) ? described : (described.columns || []);
        try {
          st.preview = await api.post(`/connections/${st.connectionId}/preview`, { query: st.query, limit: 5 });
        } catch { st.preview = null; }
      }
    } catch (err) {
      st.columns = null;
      return fail(err.message);
    }
    st.columnsKey = key;
    const names = new Set(st.columns.map(columnName));
    for (const col of Object.keys(st.mapping)) if (!names.has(col)) delete st.mapping[col];
    st.conditions = st.conditions.filter((c) => !c.column || names.has(c.column));
    // Guess the columns never seen before (a column set to "not imported" is
    // left alone), onto targets not taken yet.
    // Editing: the saved mapping is what the user chose; its unmapped columns
    // stay unmapped.
    if (st.id && !st.columnsSeen) {
      for (const col of names) if (!(col in st.mapping)) st.mapping[col] = "";
    }
    st.columnsSeen = true;
    const used = new Set(Object.values(st.mapping).filter(Boolean));
    for (const col of names) {
      if (col in st.mapping) continue;
      const t = guessTarget(col, fields);
      if (t && !used.has(t)) { st.mapping[col] = t; used.add(t); }
    }
    return true;
  }

  function samples(col) {
    const p = st.preview;
    if (!p || !p.columns) return [];
    const i = p.columns.findIndex((c) => columnName(c) === col);
    if (i < 0) return [];
    return (p.rows || []).slice(0, 3).map((r) => r[i]);
  }

  // ---- step 3 ----
  async function step3() {
    const targets = [["", "— not imported —"], ...STANDARD_TARGETS,
      ...fields.map((f) => [`%${f.key}%`, `${f.label} (%${f.key}%)${f.required ? " — required" : ""}`])];
    const problemsBox = h("div.problems");
    const rows = [];
    const selects = new Map();
    for (const c of st.columns) {
      const col = columnName(c);
      const sel = select(targets, st.mapping[col] || "", { "aria-label": `Map column ${col} to` });
      sel.dataset.column = col;
      selects.set(col, sel);
      sel.addEventListener("change", () => { st.mapping[col] = sel.value; check(); });
      const sampleList = h("ul.samples", samples(col).map((v) => h("li",
        v === null || v === undefined ? h("span.muted", "NULL")
          : typeof v === "object" ? h("span.muted", `(${v.state || "binary"})`) : val(v))));
      rows.push(h("tr", { dataset: { column: col } },
        h("th", { scope: "row" }, h("code", val(col)), h("div.muted.small", columnType(c))),
        h("td", sampleList), h("td", sel)));
    }
    function check() {
      const { messages, duplicateColumns } = mappingProblems(st.mapping, fields);
      for (const [col, sel] of selects) {
        const dup = duplicateColumns.has(col);
        sel.closest("tr").classList.toggle("dup", dup);
        if (dup) sel.setAttribute("aria-invalid", "true"); else sel.removeAttribute("aria-invalid");
      }
      replace(problemsBox, messages.length
        ? h("div.msg.msg-error", { role: "alert" }, h("strong", "Fix before saving:"),
          h("ul", messages.map((m) => h("li", m))))
        : message("ok", "The mapping is complete."));
      return messages;
    }
    replace(body, h("h2", "3. Map columns"),
      h("p.muted", "Choose for each column the contact field it fills. Sample values come from the first rows."),
      table(["Column", "Sample values", "Maps to"], rows, { label: "Column mapping" }), problemsBox);
    check();
    return async () => {
      const messages = check();
      if (messages.length) { problemsBox.scrollIntoView({ block: "nearest" }); return false; }
      return true;
    };
  }

  // ---- step 4 ----
  async function step4() {
    const colNames = st.columns.map(columnName);
    const match = select([["all", "all"], ["any", "any"]], st.match, { name: "match" });
    match.addEventListener("change", () => { st.match = match.value; });
    const list = h("ol.rules");
    const noRules = h("p.muted", "No rules: every row is imported.");
    const drawRules = () => {
      noRules.hidden = st.conditions.length > 0;
      replace(list, st.conditions.map((cond, i) => {
        const colSel = select([["", "— column —"], ...colNames.map((n) => [n, n])], cond.column || "",
          { "aria-label": `Rule ${i + 1} column` });
        colSel.addEventListener("change", () => { cond.column = colSel.value; });
        const opSel = select(OPERATORS, cond.op || "equals", { "aria-label": `Rule ${i + 1} operator` });
        const valueSlot = h("div.rule-value");
        const drawValue = () => {
          cond.op = opSel.value;
          if (NO_VALUE.has(cond.op)) {
            delete cond.value; delete cond.values;
            replace(valueSlot, h("span.muted", "no value"));
          } else if (cond.op === "in") {
            if (!cond.values) cond.values = cond.value !== undefined && cond.value !== "" ? [cond.value] : [];
            delete cond.value;
            const ta = h("textarea", { rows: "3", "aria-label": `Rule ${i + 1} values, one per line` });
            ta.value = cond.values.join("\n");
            ta.addEventListener("input", () => { cond.values = ta.value.split("\n").filter((v) => v !== ""); });
            replace(valueSlot, ta, h("div.hint", "One value per line."));
          } else {
            if (cond.value === undefined) cond.value = cond.values && cond.values.length ? cond.values[0] : "";
            delete cond.values;
            const inp = h("input", { value: cond.value, "aria-label": `Rule ${i + 1} value` });
            inp.addEventListener("input", () => { cond.value = inp.value; });
            replace(valueSlot, inp);
          }
        };
        opSel.addEventListener("change", drawValue);
        drawValue();
        const remove = h("button.small", { type: "button", "aria-label": `Remove rule ${i + 1}`,
          on: { click: () => { st.conditions.splice(i, 1); drawRules(); } } }, "Remove");
        return h("li.rule", colSel, opSel, valueSlot, remove);
      }));
    };
    drawRules();
    const add = h("button", { type: "button", on: { click: () => {
      st.conditions.push({ column: "", op: "equals", value: "" });
      drawRules();
      const sels = list.querySelectorAll("li:last-child select");
      if (sels[0]) sels[0].focus();
    } } }, "+ Add rule");

    const upd = checkbox("Update existing contacts (changed fields only)", st.update_existing, { name: "update_existing" });
    upd.input.addEventListener("change", () => { st.update_existing = upd.input.checked; });
    const del = checkbox("Delete contacts of the list that this sync no longer selects", st.delete_not_affected,
      { name: "delete_not_affected" });
    const frac = h("input.narrow", { type: "number", min: "0", max: "100", step: "1", name: "max_delete_percent",
      value: String(Math.round(st.max_delete_fraction * 100)) });
    frac.addEventListener("input", () => { st.max_delete_fraction = Number(frac.value) / 100; });
    const guard = h("div.sub.guard",
      field("Never delete more than this percentage of the list", frac,
        "The guard: deletions happen only after a complete, successful read, and when they would remove more than this share of the list's subscriptions, none is made and the report says why. Unsubscribed and bounced contacts are always kept."));
    const delSync = () => { st.delete_not_affected = del.input.checked; guard.hidden = !del.input.checked; };
    del.input.addEventListener("change", delSync);
    delSync();

    replace(body, h("h2", "4. Rules and options"),
      h("fieldset", h("legend", "Rules"),
        h("div.field.inline", h("label", { for: match.id || (match.id = uid()) }, "Import rows that match"),
          match, h("span", "of these rules.")),
        list, noRules, add),
      h("fieldset", h("legend", "Options"), upd.el,
        h("p.hint", "Off: contacts already on the list are skipped, untouched."), del.el, guard));
    return async () => {
      for (const [i, c] of st.conditions.entries()) {
        if (!c.column) return fail(`Rule ${i + 1}: choose a column.`);
        if (c.op === "in" && !(c.values || []).length) return fail(`Rule ${i + 1}: give at least one value.`);
      }
      if (st.delete_not_affected && !(st.max_delete_fraction >= 0 && st.max_delete_fraction <= 1)) {
        return fail("The deletion limit is a percentage from 0 to 100.");
      }
      return true;
    };
  }

  // ---- step 5 ----
  function definition() {
    const mapping = {};
    for (const [col, target] of Object.entries(st.mapping)) if (target) mapping[col] = target;
    const source = st.sourceMode === "table"
      ? { ...(st.schema ? { schema: st.schema } : {}), table: st.table } : { query: st.query };
    const d = { name: st.name.trim(), connection: st.connection, list: st.list, status: st.status,
      send_autoresponders: st.send_autoresponders, source, mapping };
    if (st.conditions.length) {
      d.rules = { match: st.match, conditions: st.conditions.map((c) => {
        if (NO_VALUE.has(c.op)) return { column: c.column, op: c.op };
        if (c.op === "in") return { column: c.column, op: c.op, values: c.values || [] };
        return { column: c.column, op: c.op, value: c.value ?? "" };
      }) };
    }
    Object.assign(d, { update_existing: st.update_existing, delete_not_affected: st.delete_not_affected,
      max_delete_fraction: st.max_delete_fraction });
    return d;
  }

  async function save() {
    const { messages } = mappingProblems(st.mapping, fields);
    if (messages.length) throw new Error(messages.join(" "));
    const d = definition();
    const text = JSON.stringify(d);
    if (st.id && st.savedJson === text) return false;
    if (st.id) {
      await api.put(`/syncs/${st.id}`, d);
    } else {
      const created = await api.post("/syncs", d);
      st.id = created.id;
      history.replaceState(null, "", `#/syncs/${st.id}/edit`);
    }
    st.savedJson = text;
    replace(title, `Edit sync “${st.name}”`);
    return true;
  }

  // Step 5's summary says the rules as a sentence, not "1 (match all)".
  function rulesText(rules) {
    const n = rules.conditions.length;
    if (!n) return "None: every row is imported";
    const which = n === 1 ? "" : ` (${rules.match === "any" ? "any one of them" : "all of them"})`;
    return `${n} ${n === 1 ? "rule" : "rules"}: rows that match${which} are imported`;
  }

  async function step5() {
    const STATUS_LABELS = { active: "Active", unconfirmed: "Unconfirmed", unsubscribed: "Unsubscribed",
      excluded: "Excluded" };
    const d = definition();
    const out = h("div.wizard-output");
    const saveBtn = h("button.primary", { type: "button" }, st.id ? "Save changes" : "Add sync");
    const testBtn = h("button", { type: "button" }, "Test");
    const runBtn = h("button", { type: "button" }, "Run");
    const busy = (on) => { for (const b of [saveBtn, testBtn, runBtn]) setBusy(b, on); };
    const summaryRows = [
      ["Name", d.name], ["Connection", d.connection], ["List", d.list],
      ["Status of new contacts", STATUS_LABELS[d.status] || d.status],
      ["Autoresponders", d.send_autoresponders ? "Yes" : "No"],
      ["Source", d.source.query ? "A custom query" : `${d.source.schema ? `${d.source.schema}.` : ""}${d.source.table}`],
      ["Rules", d.rules ? rulesText(d.rules) : "None: every row is imported"],
      ["Update existing contacts", d.update_existing ? "Yes" : "No"],
      ["Delete contacts the sync no longer selects", d.delete_not_affected ? `Yes, at most ${Math.round(d.max_delete_fraction * 100)} % of the list` : "No"],
    ];
    const targetLabel = targetLabeller(fields);
    const mapRows = Object.entries(d.mapping).map(([col, t]) => h("tr", h("td", h("code", val(col))),
      h("td", val(targetLabel(t)))));
    // Saving turns the page into the saved sync's editor: heading and button together.
    const saveAndRelabel = async () => {
      const changed = await save();
      replace(saveBtn, "Save changes");
      return changed;
    };
    saveBtn.addEventListener("click", async (e) => {
      if (isBusy(e.currentTarget)) return;
      busy(true);
      try {
        const changed = await saveAndRelabel();
        replace(out, message("ok", changed ? `Sync “${st.name}” saved.` : "No changes to save."),
          h("p", h("a", { href: "#/syncs" }, "Back to all syncs")));
      } catch (err) {
        replace(out, message("error", err.message));
      } finally { busy(false); }
    });
    // Test runs the definition in the form as it is, unsaved: only Save and Run save.
    testBtn.addEventListener("click", async (e) => {
      if (isBusy(e.currentTarget)) return;
      busy(true);
      try {
        const { messages } = mappingProblems(st.mapping, fields);
        if (messages.length) throw new Error(messages.join(" "));
        replace(out, message("info", "Testing… (reads the whole source, writes nothing)"));
        replace(out, testResult(await api.post("/syncs/test", definition()), targetLabel));
      } catch (err) {
        replace(out, message("error", err.message));
      } finally { busy(false); }
    });
    runBtn.addEventListener("click", async (e) => {
      if (isBusy(e.currentTarget)) return;
      busy(true);
      try {
        await saveAndRelabel();
        const { run_id: runId } = await api.post(`/syncs/${st.id}/run`);
        replace(out, runPanel(runId, { onFinished: () => busy(false) }));
      } catch (err) {
        replace(out, message("error", err.message));
        busy(false);
      }
    });
    replace(body, h("h2", "5. Save, test, run"),
      h("div.cols",
        h("dl.facts", summaryRows.map(([k, v]) => h("div", h("dt", k), h("dd", val(v))))),
        table(["Column", "Field"], mapRows, { label: "Mapping" })),
      d.source.query ? [h("h3", "Query"), h("pre.sql", d.source.query)] : null,
      h("p.muted", "Test reads everything and reports what a run of the form as it stands would do; it saves nothing and writes nothing. Save keeps the sync; Run saves it and imports for real."),
      h("div.actions", saveBtn, testBtn, runBtn), out);
    return null;
  }

  await go(0);
  return page;
}
