/** "Verwaltung": departments, categories, accounts and API tokens, zones, routing rules. */
import { getCategories } from "../shared/api";
import { h } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import L from "../shared/leaflet";
import { createMap } from "../shared/mapcommon";
import type { AdminCategory, ApiToken, ApiTokenCreated, Department, DryRun, Move, RuleSetApplied, RuleSetVersion, User, ZoneImportResult } from "../shared/types";
import { allPages, call, get, items, normName, optional, send } from "./api";
import { st, type StaffKey } from "./i18n";
import { city, departments, errorText, messageEl, resetDepartments, type StaffView } from "./shell";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

interface Section {
  root: HTMLElement;
  draw(): void;
  load(): Promise<void>;
}

function field(id: string, label: string, input: HTMLElement, cls = "field"): HTMLElement {
  input.id = id;
  return h("div", { class: cls }, h("label", { for: id }, label), input);
}
function check(id: string, label: string, checked = false): [HTMLElement, HTMLInputElement] {
  const cb = h("input", { type: "checkbox", id, checked });
  return [h("div", { class: "field check" }, cb, h("label", { for: id }, label)), cb];
}
function text(required = false, value = ""): HTMLInputElement {
  return h("input", { type: "text", required, value });
}
function section(key: StaffKey, id: string): { root: HTMLElement; body: HTMLElement } {
  const body = h("div", {});
  const root = h("section", { class: "admin-section", "aria-labelledby": `${id}-h` }, h("h3", { id: `${id}-h` }, st(key)), body);
  return { root, body };
}
function table(caption: string, head: string[], rows: (Node | string)[][]): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
    ),
  );
}
function deptOptions(list: Department[], value = "", withEmpty = true): HTMLSelectElement {
  const sel = h("select", {}, withEmpty ? h("option", { value: "" }, "—") : null, ...list.map((d) => h("option", { value: d.code }, `${pick(d.name)} (${d.code})`)));
  sel.value = value;
  return sel;
}
const yesNo = (b: boolean) => st(b ? "yes" : "no");

// -- departments -----------------------------------------------------------------------

function departmentsSection(): Section {
  const { root, body } = section("departments", "a-dept");
  let list: Department[] | null = null;
  let missing = false;
  let msg: Msg = null;
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
      const code = text(true);
      const de = text(true);
      const en = text(true);
      const mail = h("input", { type: "email" });
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
          resetDepartments();
          await s.load();
        } catch (err) {
          msg = { text: errorText(err), kind: "error" };
          s.draw();
        }
      });
      body.replaceChildren(
        ...[messageEl(msg), missing ? h("p", { class: "hint" }, st("notAvailable")) : null].filter((x): x is HTMLElement => !!x),
        list
          ? table(st("departments"), [st("code"), st("nameDe"), st("nameEn"), st("mailbox")], list.map((d) => [d.code, d.name.de, d.name.en, d.email ?? ""]))
          : h("p", {}, st("loading")),
        missing ? "" : h("h4", {}, st("newDepartment")),
        missing ? "" : form,
      );
    },
  };
  return s;
}

// -- categories ------------------------------------------------------------------------

function categoriesSection(): Section {
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
        c.code,
        pick(c.name),
        c.group,
        c.default_department,
        String(c.sla_hours),
        readOnly ? "–" : yesNo(c.auto_publish),
        yesNo(c.active),
        readOnly ? "" : h("button", { type: "button", class: "btn btn-small", "aria-label": st("editCategory", { code: c.code }), onclick: () => { editing = c.code; s.draw(); root.querySelector<HTMLElement>("#c-e-de")?.focus(); } }, st("edit")),
      ]);
      const current = list?.find((c) => c.code === editing);
      body.replaceChildren(
        ...[messageEl(msg), readOnly ? h("p", { class: "hint" }, st("readOnlyCatalog")) : null].filter((x): x is HTMLElement => !!x),
        list ? table(st("categories"), [st("code"), st("name"), st("group"), st("defaultDepartment"), st("slaHours"), st("autoPublish"), st("active"), ""], rows) : h("p", {}, st("loading")),
        current ? editForm(current) : "",
        readOnly ? "" : h("h4", {}, st("newCategory")),
        readOnly ? "" : createForm(),
      );
    },
  };
  return s;
}

// -- accounts and tokens ---------------------------------------------------------------

function accountsSection(): Section {
  const { root, body } = section("accounts", "a-users");
  let users: User[] | null = null;
  let tokens: ApiToken[] | null = null;
  let depts: Department[] = [];
  let msg: Msg = null;
  /** The token just made: its secret is shown this once. */
  let newToken: ApiTokenCreated | null = null;

  const roles = () => ["crew", "supervisor", "admin"].map((r) => h("option", { value: r }, st(`role_${r}` as StaffKey)));

  function userForm(): HTMLElement {
    const email = h("input", { type: "email", required: true, autocomplete: "off" });
    const name = text(true);
    const role = h("select", {}, ...roles());
    const dept = h("select", { multiple: true, size: Math.min(6, Math.max(2, depts.length)) }, ...depts.map((d) => h("option", { value: d.code }, pick(d.name))));
    const [cwF, cw] = check("u-citywide", st("citywide"));
    const pw = h("input", { type: "password", required: true, autocomplete: "new-password" });
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("newUser") },
      field("u-email", st("email"), email),
      field("u-name", st("name"), name),
      field("u-role", st("role"), role),
      field("u-dept", st("departments"), dept),
      cwF,
      field("u-pw", st("password"), pw),
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await send("/api/v1/admin/users", {
          email: email.value.trim(),
          name: name.value.trim(),
          role: role.value,
          departments: [...dept.selectedOptions].map((o) => o.value),
          citywide: cw.checked,
          password: pw.value,
        });
        msg = { text: st("created_ok"), kind: "ok" };
        await s.load();
      } catch (err) {
        msg = { text: errorText(err), kind: "error" };
        s.draw();
      }
    });
    return form;
  }

  function tokenForm(): HTMLElement {
    const name = text(true);
    const role = h("select", {}, ...roles());
    const dept = deptOptions(depts);
    const [cwF, cw] = check("k-citywide", st("citywide"));
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("newToken") },
      field("k-name", st("name"), name),
      field("k-role", st("role"), role),
      field("k-dept", st("department"), dept),
      cwF,
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        newToken = await send<ApiTokenCreated>("/api/v1/admin/tokens", { name: name.value.trim(), role: role.value, departments: dept.value ? [dept.value] : [], citywide: cw.checked });
        msg = null;
        await s.load();
        root.querySelector<HTMLElement>(".token-box")?.focus();
      } catch (err) {
        msg = { text: errorText(err), kind: "error" };
        s.draw();
      }
    });
    return form;
  }

  const s: Section = {
    root,
    async load() {
      try {
        depts = await departments().catch(() => []);
        // Every page: a city's accounts and tokens are few, but each answer holds at most 1,000.
        [users, tokens] = await Promise.all([allPages<User>("/api/v1/admin/users"), allPages<ApiToken>("/api/v1/admin/tokens")]);
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const tokenRows = (tokens ?? []).map((t) => [
        t.name,
        `${t.prefix}…`,
        st(`role_${t.role}` as StaffKey),
        t.citywide ? st("citywide") : t.departments.join(", "),
        formatDateTime(t.created_at),
        t.revoked_at
          ? st("revoked", { t: formatDateTime(t.revoked_at) })
          : h(
              "button",
              {
                type: "button",
                class: "btn btn-small",
                "aria-label": `${st("revoke")}: ${t.name}`,
                onclick: async () => {
                  if (!window.confirm(st("revokeConfirm", { name: t.name }))) return;
                  try {
                    await call(`/api/v1/admin/tokens/${t.id}`, { method: "DELETE" });
                    newToken = null;
                    await s.load();
                  } catch (err) {
                    msg = { text: errorText(err), kind: "error" };
                    s.draw();
                  }
                },
              },
              st("revoke"),
            ),
      ]);
      body.replaceChildren(
        ...[messageEl(msg)].filter((x): x is HTMLElement => !!x),
        users
          ? table(st("accounts"), [st("email"), st("name"), st("role"), st("departments"), st("lastLogin")], users.map((u) => [u.email, u.name, st(`role_${u.role}` as StaffKey), u.citywide ? st("citywide") : u.departments.join(", "), formatDateTime(u.last_login_at)]))
          : h("p", {}, st("loading")),
        h("h4", {}, st("newUser")),
        userForm(),
        h("h4", { id: "a-tokens-h" }, st("tokens")),
        newToken?.token
          ? h("div", { class: "ok token-box", role: "status", tabindex: "-1" }, h("p", {}, st("tokenOnce")), h("p", { class: "token-once" }, h("code", {}, newToken.token)))
          : "",
        tokens ? table(st("tokens"), [st("name"), st("prefix"), st("role"), st("departments"), st("created"), ""], tokenRows) : "",
        h("h4", {}, st("newToken")),
        tokenForm(),
      );
    },
  };
  return s;
}

// -- zones -----------------------------------------------------------------------------

export function featureNames(fc: GeoJSON.FeatureCollection): string[] {
  return fc.features.map((f, i) => String(f.properties?.name ?? f.properties?.id ?? f.id ?? `#${i + 1}`));
}

/** A parsed GeoJSON FeatureCollection, or null when the text is not one. */
export function parseFeatureCollection(raw: string): GeoJSON.FeatureCollection | null {
  try {
    const v = JSON.parse(raw) as GeoJSON.FeatureCollection;
    return v && v.type === "FeatureCollection" && Array.isArray(v.features) ? v : null;
  } catch {
    return null;
  }
}

function zonesSection(): Section {
  const { root, body } = section("zones", "a-zones");
  let existing: GeoJSON.FeatureCollection | null = null;
  let preview: GeoJSON.FeatureCollection | null = null;
  let kind = "district";
  let msg: Msg = null;
  let map: L.Map | null = null;
  let layer: L.GeoJSON | null = null;

  function showPreview(mapEl: HTMLElement): void {
    void city().then((c) => {
      if (!mapEl.isConnected) return;
      map?.remove();
      map = createMap(mapEl, c, st("zonePreview"));
      if (preview) {
        layer = L.geoJSON(preview, { style: { color: "#a4161a", weight: 2, fillOpacity: 0.15 } }).addTo(map);
        layer.eachLayer((l) => {
          const f = (l as L.Layer & { feature?: GeoJSON.Feature }).feature;
          if (f) l.bindTooltip(h("span", {}, String(f.properties?.name ?? f.id ?? ""))); // a string would be HTML
        });
        const b = layer.getBounds();
        if (b.isValid()) map.fitBounds(b, { animate: false });
      }
    }).catch(() => undefined);
  }

  const s: Section = {
    root,
    async load() {
      try {
        existing = await get<GeoJSON.FeatureCollection>("/api/v1/admin/zones");
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const kinds = [...new Set((existing?.features ?? []).map((f) => String(f.properties?.kind ?? "")))].filter(Boolean);
      const byKind = kinds.map((k) => `${k}: ${(existing?.features ?? []).filter((f) => f.properties?.kind === k).map((f) => f.properties?.name ?? f.id).join(", ")}`);
      const file = h("input", { type: "file", accept: ".geojson,.json,application/geo+json,application/json" });
      const kindIn = h("input", { type: "text", list: "z-kinds", required: true, value: kind, pattern: "[a-z][a-z0-9_-]*" });
      kindIn.addEventListener("input", () => (kind = kindIn.value.trim()));
      const mapEl = h("div", { class: "map map-zones" });
      file.addEventListener("change", async () => {
        const f = file.files?.[0];
        if (!f) return;
        preview = parseFeatureCollection(await f.text());
        msg = preview ? null : { text: st("zoneBadFile"), kind: "error" };
        s.draw();
      });
      const importBtn = h("button", { type: "button", class: "btn btn-primary" }, st("zoneImport"));
      importBtn.addEventListener("click", async () => {
        if (!preview) {
          msg = { text: st("zoneNeedFile"), kind: "error" };
          s.draw();
          return;
        }
        if (!kind) {
          msg = { text: st("zoneNeedKind"), kind: "error" };
          s.draw();
          return;
        }
        importBtn.disabled = true;
        try {
          const r = await call<ZoneImportResult>(
            `/api/v1/admin/zones/import?kind=${encodeURIComponent(kind)}`,
            { json: preview },
          );
          const d = r.data;
          msg = { text: st("zoneResult", { kind: d.kind, added: d.added?.length ?? 0, changed: d.changed?.length ?? 0, removed: d.removed?.length ?? 0, unchanged: d.unchanged?.length ?? 0 }), kind: "ok" };
          preview = null;
          await s.load();
        } catch (err) {
          msg = { text: errorText(err), kind: "error" };
          s.draw();
        }
      });
      body.replaceChildren(
        h("p", { class: "hint" }, st("zoneCurrent", { list: byKind.join(" · ") || "–" })),
        field("z-file", st("geojsonFile"), file),
        field("z-kind", st("zoneKind"), kindIn),
        h("datalist", { id: "z-kinds" }, ...kinds.map((k) => h("option", { value: k }))),
        preview ? h("p", {}, st("zoneFeatures", { n: preview.features.length, names: featureNames(preview).join(", ") })) : "",
        mapEl,
        h("div", { class: "msg-anchor", "aria-live": "polite" }, messageEl(msg) ?? ""),
        h("div", { class: "row" }, importBtn),
      );
      showPreview(mapEl);
    },
  };
  return s;
}

// -- rules -----------------------------------------------------------------------------

function rulesSection(): Section {
  const { root, body } = section("rules", "a-rules");
  let raw = "";
  let info = "";
  let moves: Move[] | null = null;
  let msg: Msg = null;
  let busy = false;

  function parsed(): Record<string, unknown> | null {
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
      throw new Error("{ … }");
    } catch (e) {
      msg = { text: st("rulesBadJson", { msg: e instanceof Error ? e.message : String(e) }), kind: "error" };
      s.draw();
      return null;
    }
  }

  async function post(path: string, apply: boolean): Promise<void> {
    const body = parsed();
    if (!body || busy) return;
    busy = true;
    try {
      // A dry run answers with the moves; applying, with the new version and its rules too.
      const r = await send<DryRun & Partial<RuleSetApplied>>(path, body);
      moves = r.moves ?? [];
      msg = apply ? { text: st("rulesApplied", { v: r.version ?? "?", n: moves.length }), kind: "ok" } : null;
      if (apply && r.rules) {
        raw = JSON.stringify(r.rules, null, 2);
        info = st("rulesVersion", { v: r.version ?? "?" });
      }
    } catch (err) {
      msg = { text: errorText(err), kind: "error" };
    }
    busy = false;
    s.draw();
  }

  const s: Section = {
    root,
    async load() {
      try {
        const r = await get<RuleSetVersion>("/api/v1/admin/rules");
        raw = JSON.stringify(r.rules, null, 2);
        info = r.implicit ? st("rulesImplicit") : st("rulesVersion", { v: r.version ?? "?" });
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const ta = h("textarea", { class: "code", rows: 16, spellcheck: "false", autocomplete: "off" });
      ta.value = raw;
      ta.addEventListener("input", () => (raw = ta.value));
      body.replaceChildren(
        h("p", { class: "hint" }, info),
        field("r-json", st("rulesJson"), ta),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "btn", onclick: () => void post("/api/v1/admin/rules/dry-run", false) }, st("dryRun")),
          h("button", { type: "button", class: "btn btn-primary", onclick: () => void post("/api/v1/admin/rules", true) }, st("applyRules")),
        ),
        h("div", { "aria-live": "polite" }, messageEl(msg) ?? ""),
        moves === null
          ? ""
          : moves.length
            ? h(
                "div",
                { class: "table-wrap" },
                h(
                  "table",
                  { class: "data moves" },
                  h("caption", {}, `${st("moves")} (${moves.length})`),
                  h("thead", {}, h("tr", {}, ...[st("ticket"), st("category"), st("from"), st("to"), st("rule")].map((c) => h("th", { scope: "col" }, c)))),
                  h(
                    "tbody",
                    {},
                    ...moves.map((m) =>
                      h("tr", {}, h("th", { scope: "row" }, h("a", { href: `#/ticket/${encodeURIComponent(m.public_id)}` }, m.public_id)), h("td", {}, m.category), h("td", {}, m.from_department), h("td", {}, m.to_department), h("td", {}, m.rule_id ?? st("fallback"))),
                    ),
                  ),
                ),
              )
            : h("p", { role: "status" }, st("noMoves")),
      );
    },
  };
  return s;
}

export function adminView(): StaffView {
  const sections: Section[] = [departmentsSection(), categoriesSection(), accountsSection(), zonesSection(), rulesSection()];
  let loaded = false;
  return {
    render(main) {
      main.append(h("div", { class: "view-admin" }, h("h2", {}, st("adminTitle")), ...sections.map((s) => s.root)));
      sections.forEach((s) => {
        s.root.querySelector("h3")!.textContent = st(["departments", "categories", "accounts", "zones", "rules"][sections.indexOf(s)] as StaffKey);
        s.draw();
      });
      if (!loaded) {
        loaded = true;
        sections.forEach((s) => void s.load());
      }
    },
  };
}
