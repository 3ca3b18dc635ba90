/** The staff shell: session, navigation by role, hash routes, language switch, messages. */
import { getCategories, getCity } from "../shared/api";
import { focusHeading, h } from "../shared/dom";
import { lang, onLangChange, setLang } from "../shared/i18n";
import type { City, Department, Me, Role } from "../shared/types";
import { ApiError, NetworkError, OIDC_LOGIN_URL, get, items, login, logout, me, normName, oidcLogout, optional, setUnauthorizedHandler, signInOptions } from "./api";
import type { SignInOptions } from "../shared/types";
import { st, type StaffKey } from "./i18n";
import { learnedNames, loadNames } from "./names";

export interface StaffView {
  render(main: HTMLElement): void;
  destroy?(): void;
}

export type Area = "queue" | "board" | "moderation" | "admin" | "blocklist" | "mails" | "sessions" | "hotspots" | "deliveries";

/** Which areas a role may open (the server decides again on every call). */
export const AREAS: Record<Role, Area[]> = {
  crew: ["queue", "moderation", "sessions"],
  supervisor: ["queue", "board", "hotspots", "moderation", "sessions", "deliveries"],
  admin: ["queue", "board", "hotspots", "moderation", "admin", "blocklist", "mails", "sessions", "deliveries"],
};

const NAV: [Area, StaffKey][] = [
  ["queue", "navQueue"],
  ["board", "navBoard"],
  ["hotspots", "hotspotsNav"],
  ["moderation", "navModeration"],
  ["admin", "navAdmin"],
  ["blocklist", "navBlocklist"],
  ["mails", "navMails"],
  ["sessions", "navSessions"],
];

export let session: Me | null = null;

export function can(area: Area): boolean {
  return !!session && (AREAS[session.role] ?? []).includes(area);
}
export function myId(): number | null {
  return session?.user?.id ?? null;
}

/** A readable message for any failure. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return `${st("forbidden")} ${e.text(lang())}`;
    return e.text(lang());
  }
  if (e instanceof NetworkError) return st("networkError");
  // A browser's own error text (an unreadable answer's "Unexpected token …") is English only.
  return st(e instanceof SyntaxError ? "unreadableAnswer" : "unexpectedError");
}

let cityPromise: Promise<City> | null = null;
export function city(): Promise<City> {
  cityPromise ??= getCity().catch((e) => {
    cityPromise = null;
    throw e;
  });
  return cityPromise;
}

let deptPromise: Promise<Department[]> | null = null;
/** Departments: the admin list when allowed and present, else the ones the categories name. */
export function departments(): Promise<Department[]> {
  deptPromise ??= (async () => {
    if (session?.role === "admin") {
      try {
        const data = await optional(get<unknown>("/api/v1/admin/departments"));
        if (data) return items<Record<string, unknown>>(data).map((d) => ({ code: String(d.code), name: normName(d), email: (d.email as string) ?? null }));
      } catch {
        /* fall back */
      }
    }
    await loadNames();
    const named = learnedNames("department");
    if (named.length) return named.sort((a, b) => a.code.localeCompare(b.code));
    const cats = await getCategories();
    const seen = new Map<string, Department>();
    for (const c of cats) if (c.department && !seen.has(c.department.code)) seen.set(c.department.code, { code: c.department.code, name: c.department.name });
    return [...seen.values()].sort((a, b) => a.code.localeCompare(b.code));
  })().catch((e) => {
    deptPromise = null;
    throw e;
  });
  return deptPromise;
}
export function resetDepartments(): void {
  deptPromise = null;
}

let root: HTMLElement;
let main: HTMLElement;
let navEl: HTMLElement;
let userEl: HTMLElement;
let langButton: HTMLButtonElement;
let titleEl: HTMLElement;
let skip: HTMLAnchorElement;
let current: StaffView | null = null;
let currentRoute = "";
let notice = "";
let factories: Record<string, (arg: string) => StaffView> = {};

/** Other spellings of a route: mails link to /staff/tickets/<id>. */
const ALIASES: Record<string, string> = { tickets: "ticket", fristen: "board", verwaltung: "admin", sperrliste: "blocklist", unzustellbar: "mails", sitzungen: "sessions", brennpunkte: "hotspots" };

export function route(): { name: string; arg: string } {
  const raw = location.hash.replace(/^#\/?/, "");
  const [name, ...rest] = raw.split("/");
  return { name: ALIASES[name] ?? (name || ""), arg: decodeURIComponent(rest.join("/")) };
}

export function go(hash: string): void {
  if (location.hash === hash) void navigate(true);
  else location.hash = hash;
}

function defaultArea(): Area {
  return session?.role === "supervisor" ? "board" : "queue";
}

function renderChrome(): void {
  document.documentElement.lang = lang();
  document.title = st("appTitle");
  titleEl.textContent = st("appTitle");
  skip.textContent = st("skipLink");
  langButton.textContent = st("switchLang");
  langButton.lang = lang() === "de" ? "en" : "de";
  const { name } = route();
  // The failed hand-overs are reached from the board and have no menu entry of their own.
  const active = name === "ticket" ? "queue" : name === "deliveries" ? "board" : name || defaultArea();
  navEl.replaceChildren();
  userEl.replaceChildren();
  if (!session) return;
  navEl.append(
    h(
      "ul",
      {},
      ...NAV.filter(([a]) => can(a)).map(([a, key]) =>
        h("li", {}, h("a", { href: `#/${a}`, "aria-current": a === active ? "page" : null }, st(key))),
      ),
      h("li", {}, h("button", { type: "button", class: "btn btn-small btn-nav", onclick: () => void doLogout() }, st("logout"))),
    ),
  );
  userEl.textContent = st("loggedInAs", { name: session.name, role: st(`role_${session.role}` as StaffKey) });
}

/** What the login page offers, asked once per page load (null: password only). */
let signIn: Promise<SignInOptions | null> | null = null;
function signInChoices(): Promise<SignInOptions | null> {
  signIn ??= signInOptions().catch(() => null);
  return signIn;
}

async function doLogout(): Promise<void> {
  try {
    if ((await signInChoices())?.oidc) {
      const atProvider = await oidcLogout();
      if (atProvider) {
        // Signed out here; the provider ends its own session and sends the browser back.
        location.assign(atProvider);
        return;
      }
    } else {
      await logout();
    }
  } catch {
    /* the session is gone either way */
  }
  loggedOut();
}

/** This browser's session ended (logout, "log out everywhere"): back to the login form. */
export function loggedOut(message = ""): void {
  session = null;
  deptPromise = null;
  showLogin(message);
}

function mount(view: StaffView, focus: boolean): void {
  current?.destroy?.();
  current = view;
  main.replaceChildren();
  view.render(main);
  if (focus) {
    const hd = main.querySelector<HTMLElement>("h2");
    if (hd) focusHeading(hd);
  }
}

export function showLogin(message = ""): void {
  notice = message;
  currentRoute = "";
  renderChrome();
  mount(loginView(), false);
}

function loginView(): StaffView {
  let email = "";
  let error = notice;
  let busy = false;
  return {
    render(m) {
      const draw = () => {
        const emailIn = h("input", { id: "login-email", type: "email", name: "email", autocomplete: "username", required: true, value: email });
        const pw = h("input", { id: "login-password", type: "password", name: "password", autocomplete: "current-password", required: true });
        const form = h(
          "form",
          { class: "login", novalidate: true },
          h("div", { class: "field" }, h("label", { for: "login-email" }, st("email")), emailIn),
          h("div", { class: "field" }, h("label", { for: "login-password" }, st("password")), pw),
          error ? h("div", { class: "alert", role: "alert" }, error) : null,
          // Second to the work account when that is offered.
          h("button", { type: "submit", class: options?.oidc ? "btn" : "btn btn-primary", disabled: busy }, busy ? st("loggingIn") : st("login")),
        );
        form.addEventListener("submit", async (e) => {
          e.preventDefault();
          email = emailIn.value.trim();
          if (!email || !pw.value) {
            error = `${st("email")}, ${st("password")}?`;
            draw();
            return;
          }
          busy = true;
          try {
            session = await login(email, pw.value);
            notice = "";
            deptPromise = null;
            busy = false;
            if (!route().name) location.hash = `#/${defaultArea()}`;
            await navigate(true);
            return;
          } catch (err) {
            error = errorText(err);
          }
          busy = false;
          draw();
          (m.querySelector("#login-password") as HTMLInputElement | null)?.focus();
        });
        m.replaceChildren(h("h2", {}, st("loginTitle")), ...workAccount(), form);
      };
      // A city with its own identity provider: "Mit Dienstkonto anmelden" first.
      let options: SignInOptions | null = null;
      const workAccount = () =>
        options?.oidc
          ? [
              h("p", {}, h("a", { id: "login-oidc", class: "btn btn-primary", href: OIDC_LOGIN_URL }, st("loginWorkAccount"))),
              h("p", {}, options.local_passwords ? st("loginOrPassword") : st("loginBreakGlass")),
            ]
          : [];
      draw();
      const self = current;
      void signInChoices().then((found) => {
        options = found;
        if (options?.oidc && current === self) draw();
      });
    },
  };
}

async function navigate(focus: boolean): Promise<void> {
  if (!session) {
    showLogin(notice);
    return;
  }
  await loadNames();
  let { name, arg } = route();
  if (!name) {
    history.replaceState(null, "", `#/${defaultArea()}`);
    ({ name, arg } = route());
  }
  currentRoute = `${name}/${arg}`;
  renderChrome();
  const make = factories[name];
  const area = (name === "ticket" ? "queue" : name) as Area;
  if (!make || !can(area)) {
    // An unknown page is "not found"; a known one the role may not use is "not allowed".
    const title = name in factories ? st("forbidden") : st("pageNotFound");
    mount({ render: (m) => m.replaceChildren(h("h2", {}, title), h("p", {}, h("a", { href: `#/${defaultArea()}` }, st(NAV.find(([a]) => a === defaultArea())![1])))) }, focus);
    return;
  }
  mount(make(arg), focus);
}

/** Flask serves staff.html for /staff/<anything>: turn such a path into the hash route. */
function pathToHash(): void {
  const m = /^\/staff\/(.+?)\/?$/.exec(location.pathname);
  if (m && !location.hash) history.replaceState(null, "", `/staff#/${m[1]}`);
}

export async function start(el: HTMLElement, views: Record<string, (arg: string) => StaffView>): Promise<void> {
  root = el;
  factories = views;
  skip = h("a", { class: "skip-link", href: "#main" });
  skip.addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
  titleEl = h("span", { class: "app-title" });
  langButton = h("button", { type: "button", class: "btn btn-lang", onclick: () => setLang(lang() === "de" ? "en" : "de") });
  navEl = h("nav", { class: "staff-nav" });
  userEl = h("p", { class: "whoami" });
  main = h("main", { id: "main", tabindex: "-1", class: "staff-main" });
  // The navigation and the "logged in as" line belong to the page's banner, so no content sits outside a landmark.
  root.replaceChildren(
    skip,
    h("header", { class: "staff-header" }, h("div", { class: "top" }, h("h1", {}, h("a", { href: "#/", class: "home-link" }, titleEl)), langButton), h("div", { class: "staff-bar" }, navEl, userEl)),
    main,
  );
  navEl.setAttribute("aria-label", st("navLabel"));
  onLangChange(() => {
    navEl.setAttribute("aria-label", st("navLabel"));
    renderChrome();
    if (current) {
      main.replaceChildren();
      current.render(main);
    }
  });
  setUnauthorizedHandler(() => {
    if (!session) return;
    session = null;
    showLogin(st("sessionEnded"));
  });
  window.addEventListener("hashchange", () => {
    const { name, arg } = route();
    if (`${name}/${arg}` !== currentRoute || !session) void navigate(true);
  });
  pathToHash();
  renderChrome();
  main.replaceChildren(h("p", { "aria-live": "polite" }, st("loading")));
  try {
    session = await me();
  } catch (e) {
    main.replaceChildren(h("div", { class: "alert", role: "alert" }, errorText(e)));
    return;
  }
  await navigate(false);
}

/** A message line: role=status for success, role=alert for problems. */
export function messageEl(msg: { text: string; kind: "ok" | "error" | "conflict" } | null): HTMLElement | null {
  if (!msg) return null;
  return msg.kind === "ok" ? h("p", { class: "ok", role: "status" }, msg.text) : h("div", { class: "alert", role: "alert" }, msg.text);
}
