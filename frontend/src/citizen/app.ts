/** The shell: layout, views, language switch, outbox status. */
import { getCategories, getCity } from "../shared/api";
import { h } from "../shared/dom";
import { lang, onLangChange, setLang } from "../shared/i18n";
import type { Category, City } from "../shared/types";
import { t } from "./i18n";
import { Outbox, type FlushOutcome } from "./queue";

export interface View {
  /** Draw the view into main (again after a language switch). */
  render(main: HTMLElement): void;
  /** Release maps, timers, listeners. */
  destroy?(): void;
}

let cityPromise: Promise<City> | null = null;
let categoriesPromise: Promise<Category[]> | null = null;

export function city(): Promise<City> {
  cityPromise ??= getCity().catch((e) => {
    cityPromise = null;
    throw e;
  });
  return cityPromise;
}

export function categories(): Promise<Category[]> {
  categoriesPromise ??= getCategories().catch((e) => {
    categoriesPromise = null;
    throw e;
  });
  return categoriesPromise;
}

export const outbox = new Outbox();

let main: HTMLElement;
let statusEl: HTMLElement;
let langButton: HTMLButtonElement;
let titleEl: HTMLElement;
let skipLink: HTMLAnchorElement;
let current: View | null = null;
let lastOutcome: FlushOutcome | null = null;
let waiting = 0;

export function show(view: View): void {
  current?.destroy?.();
  current = view;
  main.replaceChildren();
  view.render(main);
}

function renderChrome(): void {
  document.documentElement.lang = lang();
  document.title = t("appTitle");
  titleEl.textContent = t("appTitle");
  langButton.textContent = t("switchLang");
  langButton.lang = lang() === "de" ? "en" : "de";
  skipLink.textContent = t("skipLink");
  renderStatus();
}

/** The one live region about queued reports: "Wartet auf Verbindung", then "Gesendet". */
export function renderStatus(): void {
  const parts: (Node | string)[] = [];
  if (waiting > 0) {
    parts.push(h("span", { class: "badge badge-wait" }, waiting > 1 ? t("waitingCount", { n: waiting }) : t("waiting")));
  }
  if (lastOutcome) {
    if (parts.length) parts.push(" ");
    if (lastOutcome.ok) {
      const r = lastOutcome.result;
      parts.push(
        h("span", { class: "badge badge-ok" }, t("sentId", { id: r.report.public_id })),
        " ",
        h("a", { href: trackPath(r.tracking_url) }, t("track")),
      );
    } else {
      parts.push(h("span", { class: "badge badge-error" }, `${t("failedQueued")} ${lastOutcome.error.text(lang())}`));
    }
  }
  statusEl.replaceChildren(...parts);
}

/** The path of a tracking URL, so the link stays in this app whatever host the server names. */
export function trackPath(url: string): string {
  try {
    return new URL(url, location.href).pathname;
  } catch {
    return url;
  }
}

export async function refreshWaiting(): Promise<void> {
  try {
    waiting = await outbox.count();
  } catch {
    waiting = 0;
  }
  renderStatus();
}

export async function flushOutbox(): Promise<void> {
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    await refreshWaiting();
    return;
  }
  try {
    await outbox.flush();
  } catch (e) {
    console.error("outbox", e);
  }
  await refreshWaiting();
}

export function start(root: HTMLElement, first: View): void {
  skipLink = h("a", { class: "skip-link", href: "#main" });
  titleEl = h("span", { class: "app-title" });
  langButton = h("button", { type: "button", class: "btn btn-lang", onclick: () => setLang(lang() === "de" ? "en" : "de") });
  const home = h("a", { href: "/", class: "home-link" }, titleEl);
  statusEl = h("div", { id: "outbox-status", class: "outbox-status", role: "status", "aria-live": "polite" });
  main = h("main", { id: "main", tabindex: "-1" });
  root.replaceChildren(skipLink, h("header", { class: "top" }, h("h1", {}, home), langButton), statusEl, main);
  outbox.onOutcome((o) => {
    lastOutcome = o;
    renderStatus();
  });
  onLangChange(() => {
    renderChrome();
    if (current) {
      main.replaceChildren();
      current.render(main);
    }
  });
  renderChrome();
  show(first);
  window.addEventListener("online", () => void flushOutbox());
  void flushOutbox();
}

/** After queuing: show the waiting state at once. */
export async function queued(): Promise<void> {
  lastOutcome = null;
  await refreshWaiting();
}
