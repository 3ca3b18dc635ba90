/** The rules form's model: a rule set as ordered rows, checked per row, and written as YAML. */
import type { Bilingual } from "../../shared/i18n";
import type { StaffKey } from "../i18n";

/** A rule as the API reads and writes it (zoning/schemas.py `Rule`). */
export interface PlainRule {
  id: string;
  /** Left out when the rule names only a destination (the fallback department keeps the ticket). */
  department?: string;
  category?: string;
  category_group?: string;
  zone?: string;
  zone_kind?: string;
  priority?: number;
  sla_hours?: number;
  /** An external body's id: intake hands the rule's reports over to it. */
  destination?: number;
  /** With a destination: the body gets a copy, the ticket stays with its department. */
  copy_only?: boolean;
  name?: Bilingual;
}
export interface PlainRuleSet {
  fallback_department: string;
  rules: PlainRule[];
}

/** One row of the form; every field as the input holds it. */
export interface RuleRow {
  /** Stable while the row lives (focus and keys survive reordering). */
  key: number;
  id: string;
  /** "" any category, "c:<code>" a category, "g:<group>" a category group. */
  what: string;
  /** "" anywhere, "z:<key>" a zone, "k:<kind>" every zone of a kind. */
  where: string;
  department: string;
  priority: string;
  hours: string;
  /** An external body's id as the select holds it; "" none. */
  destination: string;
  copyOnly: boolean;
  nameDe: string;
  nameEn: string;
}

export type RowField = "id" | "category" | "zone" | "department" | "priority" | "sla_hours" | "destination" | "copy_only" | "name";
/** A message per row and field: a key of the staff strings with its parameters, or the server's own text. */
export type RowError = { key: StaffKey; params?: Record<string, string> } | { text: Bilingual };
export type RowErrors = Map<number, Partial<Record<RowField, RowError>>>;

let nextKey = 1;

export function rowFromRule(r: PlainRule): RuleRow {
  return {
    key: nextKey++,
    id: String(r.id ?? ""),
    what: r.category ? `c:${r.category}` : r.category_group ? `g:${r.category_group}` : "",
    where: r.zone ? `z:${r.zone}` : r.zone_kind ? `k:${r.zone_kind}` : "",
    department: r.department ?? "",
    priority: r.priority === undefined || r.priority === null ? "" : String(r.priority),
    hours: r.sla_hours === undefined || r.sla_hours === null ? "" : String(r.sla_hours),
    destination: r.destination === undefined || r.destination === null ? "" : String(r.destination),
    copyOnly: !!r.copy_only,
    nameDe: r.name?.de ?? "",
    nameEn: r.name?.en ?? "",
  };
}

/** A new, empty row with an id no other row has. */
export function newRow(rows: RuleRow[]): RuleRow {
  const ids = new Set(rows.map((r) => r.id));
  let n = rows.length + 1;
  while (ids.has(`regel-${n}`)) n++;
  return rowFromRule({ id: `regel-${n}`, department: "" });
}

function num(s: string): number | null {
  const t = s.trim().replace(",", ".");
  if (!t) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

export function ruleFromRow(row: RuleRow): PlainRule {
  const r: PlainRule = { id: row.id.trim() };
  if (row.department || !row.destination) r.department = row.department;
  if (row.what.startsWith("c:")) r.category = row.what.slice(2);
  else if (row.what.startsWith("g:")) r.category_group = row.what.slice(2);
  if (row.where.startsWith("z:")) r.zone = row.where.slice(2);
  else if (row.where.startsWith("k:")) r.zone_kind = row.where.slice(2);
  const p = num(row.priority);
  if (p !== null) r.priority = p;
  const hours = num(row.hours);
  if (hours !== null) r.sla_hours = hours;
  if (row.destination) {
    r.destination = Number(row.destination);
    r.copy_only = row.copyOnly;
  }
  if (row.nameDe.trim() || row.nameEn.trim()) {
    r.name = { de: row.nameDe.trim() || row.nameEn.trim(), en: row.nameEn.trim() || row.nameDe.trim() };
  }
  return r;
}

export function ruleSetFromRows(fallback: string, rows: RuleRow[]): PlainRuleSet {
  return { fallback_department: fallback, rules: rows.map(ruleFromRow) };
}

/** The obvious mistakes, found before asking the server: no id, a doubled id, neither department nor destination, a copy to nobody, bad numbers. */
export function checkRows(rows: RuleRow[]): RowErrors {
  const errors: RowErrors = new Map();
  const seen = new Set<string>();
  const add = (row: RuleRow, f: RowField, e: RowError) => errors.set(row.key, { ...errors.get(row.key), [f]: e });
  for (const row of rows) {
    const id = row.id.trim();
    if (!id) add(row, "id", { key: "ruleErrId" });
    else if (seen.has(id)) add(row, "id", { key: "ruleErrDupId", params: { id } });
    seen.add(id);
    if (!row.department && !row.destination) add(row, "department", { key: "ruleErrDeptOrDest" });
    if (row.copyOnly && !row.destination) add(row, "copy_only", { key: "ruleErrCopyOnly" });
    const p = num(row.priority);
    if (p !== null && (!Number.isInteger(p) || Math.abs(p) >= 2 ** 31)) add(row, "priority", { key: "ruleErrPriority" });
    const hours = num(row.hours);
    if (hours !== null && (Number.isNaN(hours) || hours <= 0 || hours > 8760)) add(row, "sla_hours", { key: "ruleErrHours" });
  }
  return errors;
}

/**
 * The server's 422 field errors ("rules.<index>.<field>", "fallback_department") mapped to the
 * rows they name; what names no row is left for the section's message.
 */
export function serverErrors(rows: RuleRow[], fields: Record<string, Bilingual[]>): { rows: RowErrors; fallback: Bilingual | null } {
  const out: RowErrors = new Map();
  let fallback: Bilingual | null = null;
  for (const [path, msgs] of Object.entries(fields)) {
    const m = /^rules\.(\d+)\.(\w+)$/.exec(path);
    if (m && rows[Number(m[1])] && msgs[0]) {
      const row = rows[Number(m[1])];
      out.set(row.key, { ...out.get(row.key), [m[2] as RowField]: { text: msgs[0] } });
    } else if (path === "fallback_department" && msgs[0]) fallback = msgs[0];
  }
  return { rows: out, fallback };
}

/** Move the row at `from` by `by` places; the same array when it cannot move. */
export function moved<T>(rows: T[], from: number, by: number): T[] {
  const to = from + by;
  if (to < 0 || to >= rows.length || from < 0 || from >= rows.length) return rows;
  const copy = rows.slice();
  const [row] = copy.splice(from, 1);
  copy.splice(to, 0, row);
  return copy;
}

/** A YAML scalar: numbers and true/false as they are, every text double-quoted (JSON's quoting is YAML's). */
function scalar(v: unknown): string {
  return typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(String(v));
}

/** The rule set as YAML in the shape `maengelmelder rules show` writes and `rules import` reads. */
export function toYaml(rs: PlainRuleSet): string {
  const lines = [`fallback_department: ${scalar(rs.fallback_department)}`, rs.rules.length ? "rules:" : "rules: []"];
  for (const r of rs.rules) {
    let first = true;
    for (const [k, v] of Object.entries(r)) {
      if (v === undefined) continue;
      const lead = first ? "- " : "  ";
      first = false;
      if (k === "name" && v && typeof v === "object") {
        const n = v as Bilingual;
        lines.push(`${lead}name:`, `    de: ${scalar(n.de)}`, `    en: ${scalar(n.en)}`);
      } else lines.push(`${lead}${k}: ${scalar(v)}`);
    }
  }
  return lines.join("\n") + "\n";
}
