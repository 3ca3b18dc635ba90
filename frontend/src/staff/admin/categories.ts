/** "Verwaltung", categories: the catalogue, a category changed or added (read-only without the admin API). */
import { getCategories } from "../../shared/api";
import { h } from "../../shared/dom";
import { pick } from "../../shared/i18n";
import type { AdminCategory, Department } from "../../shared/types";
import { call, get, items, normName, optional } from "../api";
import { st } from "../i18n";
import { nameOf } from "../names";
import { departments, errorText, messageEl } from "../shell";
import { check, deptOptions, field, section, table, text, yesNo, type Msg, type Section } from "./form";

export function categoriesSection(): Section {
  const { root, body } = section("categories", "a-cat");
  let list: AdminCategory[] | null = null;
  let readOnly = false;
  let editing: string | null = null;
  let msg: Msg = null;
  let depts: Department[] = [];

  async function save(path: string, method: string, payload: Record<string, unknown>, okText: string): Promise<void> {
    try {
      await call(path, { method, json: payload });
      msg = { text: okText, kind: "ok" };
      editing = null;
      await s.load();
    } catch (err) {
      msg = { text: errorText(err), kind: "error" };
      s.draw();
    }
  }

  function editForm(c: AdminCategory): HTMLElement {
    const de = text(true, c.name.de);
    const en = text(true, c.name.en);
    const hours = h("input", { type: "number", min: 1, max: 8760, required: true, value: c.sla_hours });
    const dept = deptOptions(depts, c.default_department, false);
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
      void save(`/api/v1/admin/categories/${encodeURIComponent(c.code)}`, "PATCH", {
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

  function createForm(): HTMLElement {
    const code = text(true);
    const group = text(true);
    const de = text(true);
    const en = text(true);
    const hours = h("input", { type: "number", min: 1, max: 8760, required: true, value: 48 });
    const dept = deptOptions(depts);
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
      void save("/api/v1/admin/categories", "POST", {
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

  const s: Section = {
    root,
    async load() {
      try {
        depts = await departments().catch(() => []);
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
      const rows = (list ?? []).map((c) => [
        h("code", {}, c.code),
        pick(c.name),
        nameOf("group", c.group),
        nameOf("department", c.default_department),
        String(c.sla_hours),
        readOnly ? "–" : yesNo(c.auto_publish),
        yesNo(c.active),
        readOnly ? "" : h("button", { type: "button", class: "btn btn-small", "aria-label": st("editCategory", { code: c.code }), onclick: () => { editing = c.code; s.draw(); root.querySelector<HTMLElement>("#c-e-de")?.focus(); } }, st("edit")),
      ]);
      const current = list?.find((c) => c.code === editing);
      body.replaceChildren(
        ...[messageEl(msg), readOnly ? h("p", { class: "hint" }, st("readOnlyCatalog")) : null].filter((x): x is HTMLElement => !!x),
        list ? table(st("categories"), [st("code"), st("name"), st("group"), st("defaultDepartment"), st("slaHours"), st("autoPublish"), st("active"), st("actions")], rows) : h("p", {}, st("loading")),
        current ? editForm(current) : "",
        readOnly ? "" : h("h4", {}, st("newCategory")),
        readOnly ? "" : createForm(),
      );
    },
  };
  return s;
}
