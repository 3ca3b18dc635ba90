/** "Verwaltung", departments: the list and a new department (admins). */
import { h } from "../../shared/dom";
import type { Department } from "../../shared/types";
import { get, items, normName, optional, send } from "../api";
import { st } from "../i18n";
import { departments, errorText, messageEl, resetDepartments } from "../shell";
import { field, keptForm, placeOnce, section, table, type Msg, type Section } from "./form";

export function departmentsSection(): Section {
  const { root, body } = section("departments", "a-dept");
  let list: Department[] | null = null;
  let missing = false;
  let msg: Msg = null;

  function newForm(): HTMLFormElement {
    const code = h("input", { type: "text", required: true, name: "code" });
    const de = h("input", { type: "text", required: true, name: "name_de" });
    const en = h("input", { type: "text", required: true, name: "name_en" });
    const mail = h("input", { type: "email", name: "email" });
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("newDepartment") },
      field("d-code", st("code"), code),
      field("d-de", st("nameDe"), de),
      field("d-en", st("nameEn"), en),
      field("d-mail", st("mailbox"), mail),
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await send("/api/v1/admin/departments", { code: code.value.trim(), name_de: de.value.trim(), name_en: en.value.trim() || de.value.trim(), email: mail.value.trim() || null });
        msg = { text: st("created_ok"), kind: "ok" };
        kept.reset();
        resetDepartments();
        await s.load();
      } catch (err) {
        msg = null;
        s.draw();
        kept.refuse(err);
      }
    });
    return form;
  }

  // The list above is redrawn; the form below is built once, so what is typed and the caret stay.
  const kept = keptForm(newForm);
  const listBox = h("div", {});
  const heading = h("h4", {});
  const place = placeOnce(body, () => [listBox, heading, kept.current()]);

  const s: Section = {
    root,
    async load() {
      try {
        const data = await optional(get<unknown>("/api/v1/admin/departments"));
        missing = data === null;
        list = data === null ? await departments() : items<Record<string, unknown>>(data).map((d) => ({ code: String(d.code), name: normName(d), email: (d.email as string) ?? null }));
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      place();
      heading.textContent = st("newDepartment");
      heading.hidden = missing;
      kept.current().hidden = missing;
      listBox.replaceChildren(
        ...[messageEl(msg), missing ? h("p", { class: "hint" }, st("notAvailable")) : null].filter((x): x is HTMLElement => !!x),
        list
          ? table(st("departments"), [st("code"), st("nameDe"), st("nameEn"), st("mailbox")], list.map((d) => [h("code", {}, d.code), d.name.de, d.name.en, d.email ?? ""]))
          : h("p", {}, st("loading")),
      );
    },
  };
  return s;
}
