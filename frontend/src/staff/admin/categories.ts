/** "Verwaltung", categories: the catalogue, a category changed or added (read-only without the admin API). */
import { getCategories } from "../../shared/api";
import { h } from "../../shared/dom";
import { pick } from "../../shared/i18n";
import type { AdminCategory, Department } from "../../shared/types";
import { call, get, items, normName, optional } from "../api";
import { st } from "../i18n";
import { nameOf } from "../names";
import { departments, errorText, messageEl } from "../shell";
import { check, deptOptions, field, holdIn, keptForm, placeOnce, section, table, yesNo, type KeptForm, type Msg, type Section } from "./form";

export function categoriesSection(): Section {
  const { root, body } = section("categories", "a-cat");
  let list: AdminCategory[] | null = null;
  let readOnly = false;
  let msg: Msg = null;
  let depts: Department[] = [];
  /** The category being changed and its form, kept while the list redraws. */
  let editing: { code: string; form: KeptForm } | null = null;

  /** Sent; on success the form is emptied (a new one) or closed (an edit); refused, it keeps every value. */
  async function save(form: KeptForm, path: string, method: string, payload: Record<string, unknown>, okText: string): Promise<void> {
    try {
      await call(path, { method, json: payload });
      msg = { text: okText, kind: "ok" };
      if (form === editing?.form) editing = null;
      else form.reset();
      await s.load();
    } catch (err) {
      msg = null;
      s.draw();
      form.refuse(err);
    }
  }

  function editForm(c: AdminCategory): HTMLFormElement {
    const de = h("input", { type: "text", required: true, name: "name_de", value: c.name.de });
    const en = h("input", { type: "text", required: true, name: "name_en", value: c.name.en });
    const hours = h("input", { type: "number", min: 1, max: 8760, required: true, name: "sla_hours", value: c.sla_hours });
    const dept = deptOptions(depts, c.default_department, false);
    dept.name = "default_department";
    const [autoF, auto] = check("c-e-auto", st("autoPublish"), c.auto_publish);
    const [actF, act] = check("c-e-active", st("active"), c.active);
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("editCategory", { code: c.code }) },
      h("h4", {}, st("editCategory", { code: c.code })),
      field("c-e-de", st("nameDe"), de),
      field("c-e-en", st("nameEn"), en),
      field("c-e-hours", st("slaHours"), hours),
      field("c-e-dept", st("defaultDepartment"), dept),
      autoF,
      actF,
      h("button", { type: "submit", class: "btn btn-primary" }, st("save")),
      h("button", { type: "button", class: "btn", onclick: () => { editing = null; s.draw(); } }, st("cancel")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!editing) return;
      void save(editing.form, `/api/v1/admin/categories/${encodeURIComponent(c.code)}`, "PATCH", {
        name_de: de.value.trim(),
        name_en: en.value.trim(),
        sla_hours: Number(hours.value),
        default_department: dept.value,
        auto_publish: auto.checked,
        active: act.checked,
      }, st("saved"));
    });
    return form;
  }

  function createForm(): HTMLFormElement {
    const code = h("input", { type: "text", required: true, name: "code" });
    const group = h("input", { type: "text", required: true, name: "group" });
    const de = h("input", { type: "text", required: true, name: "name_de" });
    const en = h("input", { type: "text", required: true, name: "name_en" });
    const hours = h("input", { type: "number", min: 1, max: 8760, required: true, name: "sla_hours", value: 48 });
    const dept = deptOptions(depts);
    dept.name = "default_department";
    const [autoF, auto] = check("c-n-auto", st("autoPublish"));
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("newCategory") },
      field("c-n-code", st("code"), code),
      field("c-n-group", st("group"), group),
      field("c-n-de", st("nameDe"), de),
      field("c-n-en", st("nameEn"), en),
      field("c-n-hours", st("slaHours"), hours),
      field("c-n-dept", st("defaultDepartment"), dept),
      autoF,
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void save(created, "/api/v1/admin/categories", "POST", {
        code: code.value.trim(),
        group: group.value.trim(),
        name_de: de.value.trim(),
        name_en: en.value.trim() || de.value.trim(),
        sla_hours: Number(hours.value),
        default_department: dept.value,
        auto_publish: auto.checked,
      }, st("created_ok"));
    });
    return form;
  }

  // The list is redrawn; the forms are built once and stay, so what is typed and the caret stay.
  const created = keptForm(createForm);
  const listBox = h("div", {});
  const editBox = h("div", {});
  const heading = h("h4", {});
  const place = placeOnce(body, () => [listBox, editBox, heading, created.current()]);

  const s: Section = {
    root,
    async load() {
      try {
        depts = await departments().catch(() => []);
        created.refresh(); // the departments to choose from
        editing?.form.refresh();
        const data = await optional(get<unknown>("/api/v1/admin/categories"));
        readOnly = data === null;
        if (data !== null) list = items<AdminCategory>(data).map((c) => ({ ...c, name: normName(c as unknown as Record<string, unknown>) }));
        else
          list = (await getCategories()).map((c) => ({ code: c.code, name: c.name, group: c.group, default_department: c.department?.code ?? "", sla_hours: c.sla_hours ?? 48, icon: c.icon, auto_publish: false, active: true }));
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      place();
      const edit = (c: AdminCategory) => {
        if (editing?.code !== c.code) editing = { code: c.code, form: keptForm(() => editForm(c)) };
        s.draw();
        root.querySelector<HTMLElement>("#c-e-de")?.focus();
      };
      const rows = (list ?? []).map((c) => [
        h("code", {}, c.code),
        pick(c.name),
        nameOf("group", c.group),
        nameOf("department", c.default_department),
        String(c.sla_hours),
        readOnly ? "–" : yesNo(c.auto_publish),
        yesNo(c.active),
        readOnly ? "" : h("button", { type: "button", class: "btn btn-small", "aria-label": st("editCategory", { code: c.code }), onclick: () => edit(c) }, st("edit")),
      ]);
      if (editing && !list?.some((c) => c.code === editing?.code)) editing = null;
      holdIn(editBox, editing && !readOnly ? editing.form.current() : null);
      heading.textContent = st("newCategory");
      heading.hidden = readOnly;
      created.current().hidden = readOnly;
      listBox.replaceChildren(
        ...[messageEl(msg), readOnly ? h("p", { class: "hint" }, st("readOnlyCatalog")) : null].filter((x): x is HTMLElement => !!x),
        list ? table(st("categories"), [st("code"), st("name"), st("group"), st("defaultDepartment"), st("slaHours"), st("autoPublish"), st("active"), st("actions")], rows) : h("p", {}, st("loading")),
      );
    },
  };
  return s;
}
