/** The language both apps share (kept in localStorage), and the helpers for API text and times. */

export type Lang = "de" | "en";
export type Bilingual = { de: string; en: string };

const STORAGE_KEY = "mm-lang";
let current: Lang = "de";
try {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "de") current = stored;
} catch {
  /* storage may be blocked */
}

/**
 * The language to start in: a choice made earlier (stored) wins; else the first of the
 * browser's languages that is German or English; else German.
 */
export function chooseLang(stored: string | null | undefined, languages: readonly string[] = []): Lang {
  if (stored === "de" || stored === "en") return stored;
  for (const tag of languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "de" || base === "en") return base;
  }
  return "de";
}

/**
 * On a visit without a stored choice, take the browser's language (an English browser starts
 * in English). Nothing is stored: only the citizen's own switch is kept.
 */
export function followBrowserLang(nav: { languages?: readonly string[]; language?: string } | undefined = globalThis.navigator): Lang {
  let stored: string | null = null;
  try {
    stored = globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    /* storage may be blocked */
  }
  const languages = nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : [];
  current = chooseLang(stored, languages);
  if (typeof document !== "undefined") document.documentElement.lang = current;
  return current;
}

const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    /* ignore */
  }
  if (typeof document !== "undefined") document.documentElement.lang = next;
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const pluralRules: Partial<Record<Lang, Intl.PluralRules>> = {};

/**
 * The form of a noun for a count in a language: forms are "one|other" ("Fläche|Flächen",
 * "area|areas"), chosen by the language's plural rules; a single form is used for every count.
 */
export function plural(n: number, forms: string, l: Lang = current): string {
  const [one, other = one] = forms.split("|");
  const rules = (pluralRules[l] ??= new Intl.PluralRules(l === "de" ? "de-DE" : "en-GB"));
  return rules.select(n) === "one" ? one : other;
}

/**
 * Fill {placeholders} of a string; an unknown placeholder stays as it is. `{n:Fläche|Flächen}`
 * becomes the form for the count in n ("1 Fläche", "2 Flächen").
 */
export function fill(text: string, params: Record<string, string | number> = {}, l: Lang = current): string {
  return text
    .replace(/\{(\w+):([^{}]*)\}/g, (m, name: string, forms: string) => (name in params ? plural(Number(params[name]), forms, l) : m))
    .replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** The current language's side of a {de, en} pair from the API. */
export function pick(value: Bilingual | null | undefined): string {
  if (!value) return "";
  return value[current] || value.de || value.en || "";
}

const STATUS: Record<string, Bilingual> = {
  new: { de: "Neu", en: "New" },
  acknowledged: { de: "Angenommen", en: "Acknowledged" },
  in_progress: { de: "In Bearbeitung", en: "In progress" },
  waiting_external: { de: "Wartet auf Dritte", en: "Waiting for a third party" },
  resolved: { de: "Erledigt", en: "Resolved" },
  closed: { de: "Abgeschlossen", en: "Closed" },
  rejected: { de: "Abgelehnt", en: "Rejected" },
  duplicate: { de: "Doppelt gemeldet", en: "Duplicate" },
};

/** A status label: the API's status_label when given, else the built-in one. */
export function statusLabel(status: string, label?: Bilingual | null): string {
  return pick(label ?? STATUS[status]) || status;
}

/** A date and time shown in the city's time zone (Europe/Berlin), whatever the device's. */
export function formatDateTime(iso: string | null | undefined, l: Lang = current): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Intl.DateTimeFormat(l === "de" ? "de-DE" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Europe/Berlin",
  }).format(d);
}
