/**
 * Every catalogue code the staff app shows, as its name in the user's language: zones, zone
 * kinds, departments, categories, category groups, rule ids, history event kinds, SLA states
 * and ticket states. Names come from the API (`GET /api/v1/staff/names`, loaded once after
 * login, and any answer that carries names); a code nobody named is shown as a readable phrase,
 * never as the raw code.
 */
import { getCategories } from "../shared/api";
import { lang, pick, statusLabel, type Bilingual } from "../shared/i18n";
import { get } from "./api";
import { st } from "./i18n";
import { slaText } from "./sla";

export type NameKind = "zone" | "zone_kind" | "department" | "category" | "group" | "rule" | "event" | "sla" | "status";

type Named = { code?: string | null; key?: string | null; id?: string | number | null; name?: Bilingual | string | null };

const learned: Record<NameKind, Map<string, Bilingual>> = {
  zone: new Map(),
  zone_kind: new Map(),
  department: new Map(),
  category: new Map(),
  group: new Map(),
  rule: new Map(),
  event: new Map(),
  sla: new Map(),
  status: new Map(),
};

const b = (de: string, en: string): Bilingual => ({ de, en });

/** Names the app knows without asking: history event kinds and common zone kinds. */
const BUILT_IN: Partial<Record<NameKind, Record<string, Bilingual>>> = {
  event: {
    created: b("Gemeldet", "Reported"),
    status: b("Status geändert", "Status changed"),
    note: b("Notiz", "Note"),
    photo: b("Foto hinzugefügt", "Photo added"),
    published: b("Veröffentlicht", "Published"),
    hidden: b("Verborgen", "Hidden"),
    confirmed: b("Bestätigt", "Confirmed"),
    assigned: b("Zugewiesen", "Assigned"),
    forwarded: b("Weitergeleitet", "Forwarded"),
    deadline: b("Frist geändert", "Deadline changed"),
    supported: b("Unterstützt", "Supported"),
    held: b("Zurückgehalten", "Held back"),
    email_confirmed: b("E-Mail-Adresse bestätigt", "E-mail address confirmed"),
    sla_breached: b("Frist überschritten", "Deadline breached"),
    sla_at_risk: b("Frist gefährdet", "Deadline at risk"),
    abuse_dismissed: b("Missbrauchsmeldungen verworfen", "Abuse flags dismissed"),
    flagged: b("Als Missbrauch gemeldet", "Flagged as abuse"),
    privacy: b("Persönliche Daten entfernt", "Personal data removed"),
    redacted: b("Foto geschwärzt", "Photo redacted"),
    privacy_pass: b("Datenschutz-Prüfung", "Privacy check"),
    reopened: b("Wieder geöffnet", "Reopened"),
    escalation: b("Eskaliert", "Escalated"),
    handed_over: b("An externe Stelle weitergegeben", "Handed over to an external body"),
    external_update: b("Rückmeldung der externen Stelle", "Update from the external body"),
  },
  zone_kind: {
    district: b("Stadtteil", "District"),
    area: b("Gebiet", "Area"),
    park: b("Park", "Park"),
  },
};

/** A code as a readable phrase when nobody named it: "park-sauberkeit" → "Park sauberkeit". */
export function readableCode(code: string): string {
  const words = code
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .split(/[\s._:/-]+/)
    .filter(Boolean);
  if (!words.length) return code;
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function asBilingual(name: Bilingual | string | null | undefined): Bilingual | null {
  if (!name) return null;
  if (typeof name === "string") return name.trim() ? { de: name, en: name } : null;
  return name.de || name.en ? { de: name.de || name.en, en: name.en || name.de } : null;
}

/** Learn names from an API answer: entries with a code (or key, or id) and a name ({de, en} or one text). */
export function learnNames(kind: NameKind, entries: Iterable<Named> | null | undefined): void {
  for (const e of entries ?? []) {
    const code = e.code ?? e.key ?? e.id;
    const name = asBilingual(e.name);
    if (code !== null && code !== undefined && name) learned[kind].set(String(code), name);
  }
}

/** The known name of a code (learned from the API first, then built in), or null. */
export function knownName(kind: NameKind, code: string): Bilingual | null {
  return learned[kind].get(code) ?? BUILT_IN[kind]?.[code] ?? null;
}

/** The name of a catalogue code in the current language; a code nobody named becomes a readable phrase. */
export function nameOf(kind: NameKind, code: string | null | undefined): string {
  if (code === null || code === undefined || code === "") return "";
  if (kind === "status") return learned.status.has(code) ? pick(learned.status.get(code)) : statusLabel(code);
  if (kind === "sla") return learned.sla.has(code) ? pick(learned.sla.get(code)) : slaText(code);
  const known = knownName(kind, code);
  if (known) return known[lang()] || known.de;
  return readableCode(code);
}

/** Every learned code of a kind with its name, e.g. all departments for a filter's options. */
export function learnedNames(kind: NameKind): { code: string; name: Bilingual }[] {
  return [...learned[kind].entries()].map(([code, name]) => ({ code, name }));
}

/** Several codes of one kind as names, joined by ", ". */
export function namesOf(kind: NameKind, codes: readonly (string | null | undefined)[] | null | undefined): string {
  return (codes ?? []).map((c) => nameOf(kind, c)).filter(Boolean).join(", ");
}

/** A ticket's stored routing explanation as the line the ticket shows. */
export interface Routing {
  text?: Bilingual | null;
  rule_id?: string | null;
  rule_name?: Bilingual | null;
  department?: string | null;
  fallback?: boolean | null;
}

/**
 * The routing line: the stored sentence when it names the rule (stored since rules have
 * names); for older tickets, whose sentence names codes, one made of the department's and
 * the rule's names.
 */
export function routingText(r: Routing | null | undefined): string {
  if (!r) return "";
  if (r.rule_name || (r.fallback && r.text)) return pick(r.text);
  if (!r.rule_id) return pick(r.text);
  return st("routingRule", { department: nameOf("department", r.department), rule: nameOf("rule", r.rule_id) });
}

/** What `GET /api/v1/staff/names` answers. */
export interface NamesAnswer {
  departments?: Named[];
  categories?: (Named & { group?: string })[];
  groups?: Named[];
  zones?: (Named & { kind?: string })[];
  zone_kinds?: Named[];
  rules?: Named[];
  events?: Named[];
}

/** Learn everything one names answer carries. */
export function learnAll(data: NamesAnswer): void {
  learnNames("department", data.departments);
  learnNames("category", data.categories);
  learnNames("group", data.groups);
  learnNames("zone", data.zones);
  learnNames("zone_kind", data.zone_kinds);
  learnNames("rule", data.rules);
  learnNames("event", data.events);
}

let loading: Promise<void> | null = null;

/**
 * Load the city's names once (after login); later calls wait for the same load. Without the
 * names endpoint the public categories still name categories and their departments.
 */
export function loadNames(force = false): Promise<void> {
  if (force) loading = null;
  loading ??= (async () => {
    try {
      learnAll(await get<NamesAnswer>("/api/v1/staff/names"));
    } catch {
      try {
        const cats = await getCategories();
        learnNames("category", cats);
        learnNames("department", cats.map((c) => c.department).filter(Boolean));
      } catch {
        loading = null; /* try again next time */
      }
    }
  })();
  return loading;
}

/** Forget every learned name (tests, logout). */
export function forgetNames(): void {
  for (const m of Object.values(learned)) m.clear();
  loading = null;
}
