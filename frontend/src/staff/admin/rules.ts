/**
 * "Verwaltung", routing rules as a form: ordered rows (category or group, zone or zone kind,
 * department, priority, hours, an external body to hand reports to or copy), moved by buttons,
 * checked per row; the dry run beside it; applied only after a second look at the dry run; YAML
 * download and upload.
 */
import { getCategories } from "../../shared/api";
import { h } from "../../shared/dom";
import { pick } from "../../shared/i18n";
import type { Category, Department, DryRun, Move, RuleSetApplied, RuleSetVersion } from "../../shared/types";
import { ApiError, call, get, send } from "../api";
import { confirmDialog } from "../dialog";
import { activeDestinations, type DestinationChoice } from "../forwarding";
import { st } from "../i18n";
import { loadNames, nameOf } from "../names";
import { departments, errorText, messageEl } from "../shell";
import { check, section, type Msg, type Section } from "./form";
import {
  checkRows,
  moved,
  newRow,
  rowFromRule,
  ruleSetFromRows,
  serverErrors,
  toYaml,
  type PlainRuleSet,
  type RowError,
  type RowErrors,
  type RowField,
  type RuleRow,
} from "./rule-rows";

/** Show the fields of a rule's name in German and English (zoning/rules.py); a loaded name is kept either way. */
const RULE_NAMES = true;

type ZoneInfo = { key: string; name: string; kind: string };

/** A row as people call it: its own name (as typed) in the user's language, else the rule's known name. */
function ruleTitle(row: RuleRow): string {
  if (row.nameDe.trim() || row.nameEn.trim()) return pick({ de: row.nameDe.trim() || row.nameEn.trim(), en: row.nameEn.trim() || row.nameDe.trim() });
  return row.id.trim() ? nameOf("rule", row.id.trim()) : "";
}

function errText(e: RowError): string {
  return "text" in e ? pick(e.text) : st(e.key, e.params ?? {});
}

export function movesTable(moves: Move[]): HTMLElement {
  if (!moves.length) return h("p", { role: "status" }, st("noMoves"));
  return h(
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
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("a", { href: `#/ticket/${encodeURIComponent(m.public_id ?? "")}` }, m.public_id ?? "")),
            h("td", {}, nameOf("category", m.category)),
            h("td", {}, nameOf("department", m.from_department)),
            h("td", {}, nameOf("department", m.to_department)),
            h("td", {}, m.rule_id ? nameOf("rule", m.rule_id) : st("fallback")),
          ),
        ),
      ),
    ),
  );
}

export function rulesSection(): Section {
  const { root, body } = section("rules", "a-rules");
  // Outside what each draw replaces, so a screen reader hears every move.
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  root.append(live);
  let fallback = "";
  let rows: RuleRow[] = [];
  let info = "";
  let moves: Move[] | null = null;
  let msg: Msg = null;
  let busy = false;
  let errors: RowErrors = new Map();
  let fallbackError: string | null = null;
  let focusId: string | null = null;
  let cats: Category[] = [];
  let depts: Department[] = [];
  let zones: ZoneInfo[] = [];
  let bodies: DestinationChoice[] = [];

  function setRuleSet(rs: PlainRuleSet | undefined): void {
    fallback = rs?.fallback_department ?? "";
    rows = (rs?.rules ?? []).map(rowFromRule);
    errors = new Map();
    fallbackError = null;
  }

  function current(): PlainRuleSet {
    return ruleSetFromRows(fallback, rows);
  }

  function firstInvalid(): string | null {
    if (fallbackError) return "r-fallback";
    for (const row of rows) {
      const e = errors.get(row.key);
      if (!e) continue;
      const f = (["id", "category", "zone", "department", "priority", "sla_hours", "destination", "copy_only", "name"] as RowField[]).find((x) => e[x]);
      if (f) return `r-${row.key}-${f === "name" ? "name-de" : f}`;
    }
    return null;
  }

  /** Refused input: the rows' messages beside their fields, the first of them focused. */
  function refused(text: string): void {
    msg = { text, kind: "error" };
    focusId = firstInvalid();
    s.draw();
  }

  /** Client checks, then the server's dry run; null (with the messages shown) when refused. */
  async function dryRun(): Promise<Move[] | null> {
    errors = checkRows(rows);
    fallbackError = fallback ? null : st("ruleErrDept");
    if (errors.size || fallbackError) {
      refused(st("rulesFix"));
      return null;
    }
    try {
      const r = await send<DryRun>("/api/v1/admin/rules/dry-run", current());
      return r.moves ?? [];
    } catch (e) {
      failed(e);
      return null;
    }
  }

  function failed(e: unknown): void {
    if (e instanceof ApiError && e.status === 422 && Object.keys(e.fields).length) {
      const mapped = serverErrors(rows, e.fields);
      errors = mapped.rows;
      fallbackError = mapped.fallback ? pick(mapped.fallback) : null;
      if (errors.size || fallbackError) return refused(`${st("rulesFix")} ${pick(e.messages)}`);
    }
    msg = { text: errorText(e), kind: "error" };
    s.draw();
  }

  async function tryRun(): Promise<void> {
    if (busy) return;
    busy = true;
    msg = null;
    const m = await dryRun();
    busy = false;
    if (m) {
      moves = m;
      errors = new Map();
      msg = null;
      s.draw();
    }
  }

  async function apply(): Promise<void> {
    if (busy) return;
    busy = true;
    msg = null;
    const m = await dryRun();
    if (!m) {
      busy = false;
      return;
    }
    moves = m;
    errors = new Map();
    s.draw();
    const yes = await confirmDialog({ title: st("rulesApplyTitle"), body: [h("p", {}, st("rulesApplyIntro")), movesTable(m)], confirm: st("rulesApplyYes") });
    if (!yes) {
      busy = false;
      return;
    }
    try {
      const r = await send<RuleSetApplied>("/api/v1/admin/rules", current());
      moves = r.moves ?? [];
      setRuleSet(r.rules as PlainRuleSet | undefined);
      info = st("rulesVersion", { v: r.version ?? "?" });
      msg = { text: st("rulesApplied", { v: r.version ?? "?", n: moves.length }), kind: "ok" };
      s.draw();
    } catch (e) {
      failed(e);
    }
    busy = false;
  }

  function exportYaml(): void {
    const blob = new Blob([toYaml(current())], { type: "application/yaml" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: "rules.yaml", hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  async function importYaml(file: File): Promise<void> {
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const r = await call<PlainRuleSet>("/api/v1/admin/rules/from-yaml", { form });
      setRuleSet(r.data);
      moves = null;
      msg = { text: st("rulesImported", { n: rows.length, file: file.name }), kind: "ok" };
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    s.draw();
  }

  function control<T extends HTMLInputElement | HTMLSelectElement>(row: RuleRow, f: RowField, id: string, label: string, el: T, onValue: (v: string) => void): HTMLElement {
    const e = errors.get(row.key)?.[f];
    el.id = id;
    el.addEventListener(el instanceof HTMLSelectElement ? "change" : "input", () => onValue(el.value));
    if (e) {
      el.setAttribute("aria-invalid", "true");
      el.setAttribute("aria-describedby", `${id}-err`);
    }
    return h("div", { class: `field rule-${f}` }, h("label", { for: id }, label), el, e ? h("p", { class: "field-error", id: `${id}-err` }, errText(e)) : null);
  }

  function select(value: string, options: (HTMLOptionElement | HTMLOptGroupElement)[]): HTMLSelectElement {
    const sel = h("select", {}, ...options);
    // A code the catalogue no longer knows stays visible (the server names it as an error).
    if (value && ![...sel.options].some((o) => o.value === value)) sel.append(h("option", { value }, value.replace(/^[cgzk]:/, "")));
    sel.value = value;
    return sel;
  }

  function whatOptions(): (HTMLOptionElement | HTMLOptGroupElement)[] {
    const groups = [...new Set(cats.map((c) => c.group).filter((g): g is string => !!g))];
    return [
      h("option", { value: "" }, st("ruleAnyCategory")),
      h("optgroup", { label: st("categories") }, ...cats.map((c) => h("option", { value: `c:${c.code}` }, pick(c.name)))),
      groups.length ? h("optgroup", { label: st("ruleGroup", { g: "" }).trim() }, ...groups.map((g) => h("option", { value: `g:${g}` }, st("ruleGroup", { g: nameOf("group", g) })))) : null,
    ].filter((x): x is HTMLOptionElement | HTMLOptGroupElement => !!x);
  }

  function whereOptions(): (HTMLOptionElement | HTMLOptGroupElement)[] {
    const kinds = [...new Set(zones.map((z) => z.kind))];
    return [
      h("option", { value: "" }, st("ruleAnywhere")),
      h("optgroup", { label: st("zones") }, ...zones.map((z) => h("option", { value: `z:${z.key}` }, z.name || nameOf("zone", z.key)))),
      h("optgroup", { label: st("zoneKind") }, ...kinds.map((k) => h("option", { value: `k:${k}` }, st("ruleZoneKind", { k: nameOf("zone_kind", k) })))),
    ];
  }

  function deptSelect(value: string): HTMLSelectElement {
    return select(value, [h("option", { value: "" }, "—"), ...depts.map((d) => h("option", { value: d.code }, pick(d.name)))]);
  }

  /** The switched-on external bodies; one a rule still names after it was switched off stays visible by its id. */
  function destinationSelect(value: string): HTMLSelectElement {
    const sel = select(value, [h("option", { value: "" }, st("ruleNoDestination")), ...bodies.map((b) => h("option", { value: String(b.id) }, pick(b.name)))]);
    for (const o of sel.options) if (o.value && !bodies.some((b) => String(b.id) === o.value)) o.textContent = `#${o.value}`;
    return sel;
  }

  /** "nur Kopie": a checkbox whose label follows it, with its message beside it. */
  function copyOnlyControl(row: RuleRow): HTMLElement {
    const id = `r-${row.key}-copy_only`;
    const e = errors.get(row.key)?.copy_only;
    const [wrap, box] = check(id, st("ruleCopyOnly"), row.copyOnly);
    box.addEventListener("change", () => (row.copyOnly = box.checked));
    wrap.classList.add("rule-copy_only");
    if (e) {
      box.setAttribute("aria-invalid", "true");
      box.setAttribute("aria-describedby", `${id}-err`);
      wrap.append(h("p", { class: "field-error", id: `${id}-err` }, errText(e)));
    }
    return wrap;
  }

  function move(i: number, by: number, dir: "up" | "down"): void {
    const next = moved(rows, i, by);
    if (next === rows) return;
    rows = next;
    const row = rows[i + by];
    live.textContent = st("ruleMoved", { id: ruleTitle(row), n: i + by + 1 });
    // Focus stays on the same button of the moved row, or its other one at the end of the list.
    const edge = (dir === "up" && i + by === 0) || (dir === "down" && i + by === rows.length - 1);
    focusId = `r-${row.key}-${edge ? (dir === "up" ? "down" : "up") : dir}`;
    s.draw();
  }

  function rowEl(row: RuleRow, i: number): HTMLElement {
    const n = i + 1;
    const title = ruleTitle(row);
    const legend = h("legend", {}, st("ruleRow", { n }), title ? ` · ${title}` : "");
    const id = h("input", { type: "text", value: row.id, autocomplete: "off", required: true });
    const prio = h("input", { type: "text", inputmode: "numeric", value: row.priority, autocomplete: "off" });
    const hours = h("input", { type: "text", inputmode: "decimal", value: row.hours, autocomplete: "off" });
    const up = h("button", { type: "button", class: "btn btn-small", id: `r-${row.key}-up`, "aria-label": st("ruleUp", { n }), disabled: i === 0, onclick: () => move(i, -1, "up") }, "↑");
    const down = h("button", { type: "button", class: "btn btn-small", id: `r-${row.key}-down`, "aria-label": st("ruleDown", { n }), disabled: i === rows.length - 1, onclick: () => move(i, 1, "down") }, "↓");
    const remove = h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        "aria-label": st("ruleRemove", { n }),
        onclick: () => {
          rows = rows.filter((r) => r !== row);
          errors.delete(row.key);
          const near = rows[Math.min(i, rows.length - 1)];
          focusId = near ? `r-${near.key}-id` : "r-add";
          s.draw();
        },
      },
      "✕",
    );
    const names = RULE_NAMES
      ? [
          control(row, "name", `r-${row.key}-name-de`, `${st("name")} (de)`, h("input", { type: "text", value: row.nameDe, maxlength: 200 }), (v) => (row.nameDe = v)),
          h("div", { class: "field rule-name" }, h("label", { for: `r-${row.key}-name-en` }, `${st("name")} (en)`), (() => {
            const en = h("input", { type: "text", id: `r-${row.key}-name-en`, value: row.nameEn, maxlength: 200 });
            en.addEventListener("input", () => (row.nameEn = en.value));
            return en;
          })()),
        ]
      : [];
    return h(
      "li",
      { class: `rule-row${errors.has(row.key) ? " invalid" : ""}` },
      h(
        "fieldset",
        {},
        legend,
        h(
          "div",
          { class: "rule-fields" },
          control(row, "id", `r-${row.key}-id`, st("ruleId"), id, (v) => (row.id = v)),
          ...names,
          control(row, "category", `r-${row.key}-category`, st("ruleWhat"), select(row.what, whatOptions()), (v) => (row.what = v)),
          control(row, "zone", `r-${row.key}-zone`, st("ruleWhere"), select(row.where, whereOptions()), (v) => (row.where = v)),
          control(row, "department", `r-${row.key}-department`, st("department"), deptSelect(row.department), (v) => (row.department = v)),
          control(row, "priority", `r-${row.key}-priority`, st("rulePriority"), prio, (v) => (row.priority = v)),
          control(row, "sla_hours", `r-${row.key}-sla_hours`, st("ruleHours"), hours, (v) => (row.hours = v)),
          control(row, "destination", `r-${row.key}-destination`, st("ruleDestination"), destinationSelect(row.destination), (v) => (row.destination = v)),
          copyOnlyControl(row),
        ),
        h("div", { class: "row rule-buttons" }, up, down, remove),
      ),
    );
  }

  const s: Section = {
    root,
    async load() {
      try {
        const [r, ds, cs, zs, , bs] = await Promise.all([
          get<RuleSetVersion>("/api/v1/admin/rules"),
          departments(),
          getCategories().catch(() => [] as Category[]),
          get<{ features?: { id?: string; properties?: { name?: string | null; kind?: string } }[] }>("/api/v1/admin/zones", { simplify: 0.01 }).catch(() => ({ features: [] })),
          loadNames().catch(() => undefined),
          activeDestinations().catch(() => [] as DestinationChoice[]),
        ]);
        bodies = bs;
        depts = ds;
        cats = cs;
        zones = (zs.features ?? []).map((f) => ({ key: String(f.id ?? ""), name: f.properties?.name ?? "", kind: f.properties?.kind ?? "" }));
        setRuleSet(r.rules as PlainRuleSet | undefined);
        info = r.implicit ? st("rulesImplicit") : st("rulesVersion", { v: r.version ?? "?" });
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const fb = deptSelect(fallback);
      fb.id = "r-fallback";
      fb.addEventListener("change", () => (fallback = fb.value));
      if (fallbackError) {
        fb.setAttribute("aria-invalid", "true");
        fb.setAttribute("aria-describedby", "r-fallback-err");
      }
      const file = h("input", { type: "file", id: "r-yaml", accept: ".yaml,.yml,application/yaml,text/yaml" });
      file.addEventListener("change", () => {
        const f = file.files?.[0];
        if (f) void importYaml(f);
      });
      const form = h(
        "div",
        { class: "rules-form" },
        h("p", { class: "hint" }, info),
        h("p", { class: "hint" }, st("rulesOrderHint")),
        h("p", { class: "hint" }, st("ruleDestinationHint")),
        h("div", { class: "field" }, h("label", { for: "r-fallback" }, st("rulesFallback")), fb, fallbackError ? h("p", { class: "field-error", id: "r-fallback-err" }, fallbackError) : null),
        h("ol", { class: "rule-rows" }, ...rows.map(rowEl)),
        h(
          "div",
          { class: "row" },
          h(
            "button",
            {
              type: "button",
              class: "btn",
              id: "r-add",
              onclick: () => {
                const row = newRow(rows);
                rows = [...rows, row];
                focusId = `r-${row.key}-id`;
                s.draw();
              },
            },
            st("ruleAdd"),
          ),
        ),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "btn", onclick: () => void tryRun() }, st("dryRun")),
          h("button", { type: "button", class: "btn btn-primary", onclick: () => void apply() }, st("applyRules")),
        ),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "btn", onclick: exportYaml }, st("rulesExport")),
          h("div", { class: "field" }, h("label", { for: "r-yaml" }, st("rulesImport")), file),
        ),
      );
      body.replaceChildren(
        h(
          "div",
          { class: "rules-layout" },
          form,
          h(
            "div",
            { class: "rules-result" },
            h("div", { "aria-live": "polite" }, messageEl(msg) ?? ""),
            moves === null ? "" : movesTable(moves),
          ),
        ),
      );
      if (focusId) {
        document.getElementById(focusId)?.focus();
        focusId = null;
      }
    },
  };
  return s;
}
