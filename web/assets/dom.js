// Building the DOM without ever parsing data as HTML: every value becomes a
// text node (textContent), attributes are set one by one with setAttribute,
// and event handlers are functions, never strings. No module of the UI uses
// innerHTML, so a hostile list name, label or column name renders as text.

// h("tag.class1.class2", {attr: value, on: {click: fn}}, ...children)
// children: strings/numbers (text nodes), Nodes, arrays, null/undefined/false (skipped).
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === "class") {
      el.className = [el.className, value].filter(Boolean).join(" ");
    } else if (name === "value" || name === "checked" || name === "selected" ||
               name === "disabled" || name === "hidden") {
      el[name] = value;
      if (name === "selected" || name === "checked") el.setAttribute(name, "");
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// A value shown from data: isolated for bidi (a right-to-left mark in a name
// cannot reorder the text around it) and shown as "—" when empty.
export function val(value) {
  if (value === null || value === undefined || value === "") {
    return h("span.muted", { "aria-label": "empty" }, "—");
  }
  return h("bdi", String(value));
}

let idCounter = 0;
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

// A labelled form control: <div class="field"><label for=id>..</label>control hint</div>.
export function field(label, control, hint) {
  if (!control.id) control.id = uid();
  let hintEl = null;
  if (hint) {
    hintEl = h("p.hint", { id: `${control.id}-hint` }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div.field", h("label", { for: control.id }, label), control, hintEl);
}

export function checkbox(label, checked, attrs = {}) {
  const input = h("input", { type: "checkbox", id: uid(), checked, ...attrs });
  return { input, el: h("div.check", input, h("label", { for: input.id }, label)) };
}

export function select(options, current, attrs = {}) {
  // options: [[value, label]] or [value]
  const el = h("select", attrs);
  for (const opt of options) {
    const [value, label] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value, selected: String(value) === String(current ?? "") }, label));
  }
  if (current !== undefined && current !== null) el.value = String(current);
  return el;
}

// A button busy with its action keeps the keyboard focus: it is marked
// aria-disabled and its click handler returns early while isBusy (setting
// `disabled` would drop the focus to the page, and a screen reader with it).
export function setBusy(button, busy) {
  if (busy) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}

export function isBusy(button) {
  return button.getAttribute("aria-disabled") === "true";
}

// Runs a button's action with the button busy; a press while it is busy does nothing.
export async function whileBusy(button, action) {
  if (isBusy(button)) return undefined;
  setBusy(button, true);
  try {
    return await action();
  } finally {
    setBusy(button, false);
  }
}

// A message area: role=alert for errors so screen readers announce them.
export function message(kind, text) {
  return h(`div.msg.msg-${kind}`, { role: kind === "error" ? "alert" : "status" }, text);
}

// On a phone-width screen the rows stack into cards; each cell then shows its
// column's header before it (data-label, drawn by CSS).
export function table(headers, rows, attrs = {}) {
  for (const row of rows) {
    [...row.children].forEach((cell, i) => {
      if (headers[i] && !cell.dataset.label) cell.dataset.label = headers[i];
    });
  }
  return h("div.table-wrap", { tabindex: "0", role: "region", "aria-label": attrs.label || "table" },
    h("table", { class: attrs.tableClass ?? "stack" }, attrs.caption ? h("caption", attrs.caption) : null,
      h("thead", h("tr", headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", rows.length ? rows : h("tr", h("td.muted", { colspan: headers.length },
        attrs.empty || "Nothing here yet.")))));
}

// A duration for people: "under 0.1 s" rather than "0.0 s".
export function fmtDuration(ms) {
  const n = Number(ms) || 0;
  return n < 100 ? "under 0.1 s" : `${(n / 1000).toFixed(1)} s`;
}

// Who started a run, as people say it: "api:ann" is Ann in the web UI or the
// API, "cli:unknown" the command line (with the login name when it is known).
export function startedByText(startedBy) {
  const value = String(startedBy || "");
  const colon = value.indexOf(":");
  const [kind, who] = colon < 0 ? [value, ""] : [value.slice(0, colon), value.slice(colon + 1)];
  if (kind === "cli") return who && who !== "unknown" ? `${who} (command line)` : "command line";
  if (kind === "api") return who ? `${who} (web)` : "web";
  return value;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString();
}

// Asks for confirmation in an HTML <dialog> (not window.confirm), resolves true/false.
export function confirmDialog(text, confirmLabel = "Delete") {
  return new Promise((resolve) => {
    const ok = h("button.danger", { type: "button" }, confirmLabel);
    const cancel = h("button", { type: "button" }, "Cancel");
    const dlg = h("dialog.confirm", { "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text" }, text), h("div.actions", cancel, ok));
    const done = (result) => { dlg.close(); dlg.remove(); resolve(result); };
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}
