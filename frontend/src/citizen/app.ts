/** The shell: layout, views, language switch, outbox status. */
import { getCategories, getCity } from "../shared/api";
import { h } from "../shared/dom";
import { formatDateTime, lang, onLangChange, setLang } from "../shared/i18n";
import type { Category, City } from "../shared/types";
import { t } from "./i18n";
import { networkFirst } from "./offline";
import { Outbox, refusalError, type FlushOutcome, type OutboxState, type QueuedReport } from "./queue";

export interface View {
  /** Draw the view into main (again after a language switch). */
  render(main: HTMLElement): void;
  /** Release maps, timers, listeners. */
  destroy?(): void;
  /** The connection came back: load what failed (without it, a failed load is drawn anew). */
  reconnected?(): void;
}

let cityPromise: Promise<City> | null = null;
let categoriesPromise: Promise<Category[]> | null = null;

export function city(): Promise<City> {
  // The last answer is kept, so a report can be filed offline, even right after a reload.
  cityPromise ??= networkFirst("city", getCity).catch((e) => {
    cityPromise = null;
    throw e;
  });
  return cityPromise;
}

export function categories(): Promise<Category[]> {
  categoriesPromise ??= networkFirst("categories", getCategories).catch((e) => {
    categoriesPromise = null;
    throw e;
  });
  return categoriesPromise;
}

const online = () => typeof navigator === "undefined" || navigator.onLine !== false;

export const outbox = new Outbox(undefined, undefined, { canSend: online });

/** Opens a refused report in the report flow; set by the view that owns the flow. */
let editQueued: ((item: QueuedReport) => void) | null = null;

export function onEditQueued(fn: (item: QueuedReport) => void): void {
  editQueued = fn;
}

let main: HTMLElement;
let statusEl: HTMLElement;
let langButton: HTMLButtonElement;
let titleEl: HTMLElement;
let skipLink: HTMLAnchorElement;
let current: View | null = null;
let lastOutcome: FlushOutcome | null = null;
let state: OutboxState = { waiting: 0, refused: [], nextAt: null };

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

function clockTime(ms: number): string {
  return new Intl.DateTimeFormat(lang() === "de" ? "de-DE" : "en-GB", { timeStyle: "medium", timeZone: "Europe/Berlin" }).format(new Date(ms));
}

/** What waits, in words: offline, sending now, or when the next try is. */
function waitingText(n: number): string {
  if (!online()) return n > 1 ? t("waitingCount", { n }) : t("waiting");
  if (state.nextAt === null || outbox.busy) return n > 1 ? t("outboxSendingMany", { n }) : t("outboxSendingOne");
  const time = clockTime(state.nextAt);
  return n > 1 ? t("outboxNextMany", { n, time }) : t("outboxNextOne", { n, time });
}

function refusedEntry(item: QueuedReport): HTMLElement {
  const error = refusalError(item.refused!);
  const edit = h("button", { type: "button", class: "btn btn-small" }, t("editQueued"));
  edit.addEventListener("click", () => editQueued?.(item));
  const discard = h("button", { type: "button", class: "btn btn-small" }, t("discardQueued"));
  discard.addEventListener("click", async () => {
    discard.disabled = true;
    await outbox.remove(item.id!);
    if (lastOutcome && !lastOutcome.ok && lastOutcome.key === item.key) lastOutcome = null;
    await refreshWaiting();
  });
  const what = [t("queuedAt", { time: formatDateTime(new Date(item.queuedAt).toISOString()) }), item.fields.description].filter(Boolean).join(" – ");
  return h(
    "li",
    { class: "refused" },
    h("span", { class: "badge badge-error" }, `${t("failedQueued")} ${error.text(lang())}`),
    " ",
    h("span", { class: "refused-what" }, what),
    " ",
    edit,
    " ",
    discard,
  );
}

/** The one live region about queued reports: waiting, when the next try is, refused, sent. */
export function renderStatus(): void {
  const parts: (Node | string)[] = [];
  if (state.waiting > 0) parts.push(h("span", { class: "badge badge-wait" }, waitingText(state.waiting)));
  if (state.refused.length) {
    if (parts.length) parts.push(" ");
    parts.push(h("ul", { class: "outbox-refused" }, ...state.refused.map(refusedEntry)));
  }
  if (lastOutcome?.ok) {
    if (parts.length) parts.push(" ");
    const r = lastOutcome.result;
    parts.push(
      h("span", { class: "badge badge-ok" }, t("sentId", { id: r.report.public_id })),
      " ",
      h("a", { href: trackPath(r.tracking_url) }, t("track")),
    );
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

let stateSeq = 0;

export async function refreshWaiting(): Promise<void> {
  const mine = ++stateSeq;
  let next: OutboxState;
  try {
    next = await outbox.state();
  } catch {
    next = { waiting: 0, refused: [], nextAt: null };
  }
  if (mine !== stateSeq) return; // a later call has newer figures
  state = next;
  renderStatus();
}

/** Send what waits now (app start, the connection came back, after queuing while online). */
export async function flushOutbox(): Promise<void> {
  if (!online()) {
    await refreshWaiting();
    return;
  }
  try {
    const sending = outbox.flush(true);
    await refreshWaiting();
    await sending;
  } catch (e) {
    console.error("outbox", e);
  }
  await refreshWaiting();
}

/** The connection came back: send what waits, and let the view load what failed. */
function reconnected(): void {
  void flushOutbox();
  if (!current) return;
  if (current.reconnected) {
    current.reconnected();
    return;
  }
  const failed = Array.from(main.querySelectorAll(".alert")).some((el) => el.textContent === t("loadFailed"));
  if (failed) {
    main.replaceChildren();
    current.render(main);
  }
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
    if (o.ok) lastOutcome = o;
    void refreshWaiting();
  });
  outbox.onChange(() => void refreshWaiting());
  onLangChange(() => {
    renderChrome();
    if (current) {
      main.replaceChildren();
      current.render(main);
    }
  });
  renderChrome();
  show(first);
  window.addEventListener("online", reconnected);
  window.addEventListener("offline", () => void refreshWaiting());
  void flushOutbox();
}

/** After queuing: show the waiting state at once, and set the timer for the next try. */
export async function queued(): Promise<void> {
  lastOutcome = null;
  await outbox.arm();
  await refreshWaiting();
}
