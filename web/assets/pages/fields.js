// Custom fields: key (%KEY% tag), label, type, options, required.
import { api } from "../api.js";
import { h, replace, field, table, val, select, checkbox } from "../dom.js";
import { pageHeader, apiForm, deleteButton } from "./common.js";

const TYPES = ["text", "textarea", "number", "date", "datetime", "dropdown", "radio",
  "checkbox", "hidden"];
const CHOICE = new Set(["dropdown", "radio", "checkbox"]);

export async function fieldsPage() {
  const page = h("section");
  const status = h("div.form-status");
  const body = h("div");
  async function refresh() {
    const fields = await api.get("/fields");
    replace(body, table(["Tag", "Label", "Type", "Options", "Required", ""],
      fields.map((f) => h("tr",
        h("td", h("code", val(f.tag || `%${f.key}%`))),
        h("td", val(f.label)),
        h("td", f.type),
        h("td", (f.options || []).length ? h("ul.inline", f.options.map((o) => h("li", val(o)))) : val("")),
        h("td", f.required ? "required" : "optional"),
        h("td.actions", deleteButton(`Delete field ${f.key}`,
          `Delete the field ${f.key}? Its values are removed from every contact.`,
          async () => { await api.del(`/fields/${encodeURIComponent(f.key)}`); await refresh(); },
          status)))),
      { label: "Custom fields", empty: "No custom fields yet." }));
  }
  const key = h("input", { required: true, name: "key", pattern: "[A-Z0-9_]+",
    autocapitalize: "characters", on: { input: (e) => { e.target.value = e.target.value.toUpperCase(); } } });
  const label = h("input", { required: true, name: "label" });
  const type = select(TYPES, "text", { name: "type" });
  const options = h("textarea", { name: "options", rows: "3" });
  const optionsField = field("Options (one per line)", options, "For dropdown, radio and checkbox.");
  optionsField.hidden = true;
  type.addEventListener("change", () => { optionsField.hidden = !CHOICE.has(type.value); });
  const required = checkbox("Required (imports and syncs must fill it)", false, { name: "required" });
  const form = apiForm("New custom field", [
    field("Key", key, "Capital letters, digits and _; used as the %KEY% tag."), field("Label", label),
    field("Type", type), optionsField, required.el], "Create field", async () => {
    const opts = CHOICE.has(type.value)
      ? options.value.split("\n").map((s) => s.trim()).filter(Boolean) : [];
    await api.post("/fields", { key: key.value, label: label.value, type: type.value,
      options: opts, required: required.input.checked });
    const created = key.value;
    form.reset();
    optionsField.hidden = true;
    await refresh();
    return `Field %${created}% created.`;
  });
  await refresh();
  replace(page, pageHeader("Custom fields",
    "Extra contact fields, filled by syncs and imports and used as %KEY% tags in mail."),
  status, body, form);
  return page;
}
