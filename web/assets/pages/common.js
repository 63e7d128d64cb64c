// Pieces shared by the pages: the page header, a create form wired to the API
// with its error message, and a delete button that asks first.
import { h, replace, message, confirmDialog, whileBusy } from "../dom.js";

export function pageHeader(title, intro, ...actions) {
  return h("div.page-head", h("div", h("h1", title), intro ? h("p.muted", intro) : null),
    actions.length ? h("div.actions", actions) : null);
}

// A form whose submit calls `submit()`; shows its error or `done` message.
export function apiForm(title, controls, submitLabel, submit) {
  const status = h("div.form-status");
  const button = h("button.primary", { type: "submit" }, submitLabel);
  const form = h("form.card", { "aria-label": title }, h("h2", title),
    h("div.form-grid", controls), status, h("div.actions", button));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    whileBusy(button, async () => {
      replace(status);
      try {
        const done = await submit();
        if (done) replace(status, message("ok", done));
      } catch (err) {
        replace(status, message("error", err.message));
      }
    });
  });
  return form;
}

export function deleteButton(label, question, action, statusEl) {
  return h("button.small.danger", {
    type: "button", "aria-label": label,
    on: {
      click: async () => {
        if (!(await confirmDialog(question))) return;
        try {
          await action();
        } catch (err) {
          if (statusEl) replace(statusEl, message("error", err.message));
        }
      },
    },
  }, "Delete");
}

export const STATUSES = ["active", "unconfirmed", "unsubscribed", "bounced"];
