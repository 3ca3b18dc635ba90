/** "Meine Sitzungen": one's own sessions, each can be ended, and "log out everywhere"; for admins also the login throttles and ending all sessions of an account. */
import { h, keepingFocus } from "../shared/dom";
import { formatDateTime } from "../shared/i18n";
import type { LoginThrottle, StaffSession, User } from "../shared/types";
import { endSession, endUserSessions, get, liftThrottle, loginThrottles, logoutEverywhere, mySessions } from "./api";
import { st } from "./i18n";
import { errorText, loggedOut, messageEl, session, type StaffView } from "./shell";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** Who a throttle is about: the account's e-mail address, or "no account". */
export function throttleWho(t: LoginThrottle): string {
  return t.user ? t.user.email : st("throttleUnknown");
}

export function sessionsView(): StaffView {
  let mine: StaffSession[] | null = null;
  let throttles: LoginThrottle[] | null = null;
  let nextThrottles: string | null = null;
  let users: User[] = [];
  let chosenUser = "";
  let msg: Msg = null;
  let busy = false;
  let root: HTMLElement;
  let alive = true;
  const isAdmin = () => session?.role === "admin";

  async function load(): Promise<void> {
    try {
      mine = await mySessions();
      if (isAdmin()) {
        const [page, list] = await Promise.all([loginThrottles(), get<User[]>("/api/v1/admin/users")]);
        throttles = page.items;
        nextThrottles = page.next;
        users = Array.isArray(list) ? list : [];
      }
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (alive) draw();
  }

  const focus = (sel: string) => root.querySelector<HTMLElement>(sel)?.focus();

  async function act(work: () => Promise<string | null>): Promise<void> {
    if (busy) return;
    busy = true;
    msg = null;
    let text: string | null = null;
    try {
      text = await work();
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    busy = false;
    if (text === null && !msg) return; // logged out: the login screen has taken over
    if (text) msg = { text, kind: "ok" };
    await load();
    focus(".msg-anchor");
  }

  const end = (s: StaffSession) =>
    act(async () => {
      await endSession(s);
      if (s.current) {
        loggedOut(st("loggedOut"));
        return null;
      }
      return st("sessionEndedOne", { device: s.device, network: s.network });
    });

  const everywhere = () =>
    act(async () => {
      const n = await logoutEverywhere();
      loggedOut(st("loggedOutEverywhere", { n }));
      return null;
    });

  const lift = (t: LoginThrottle) =>
    act(async () => {
      await liftThrottle(t.id);
      return st("throttleLifted", { who: throttleWho(t), network: t.network });
    });

  const endOfUser = () =>
    act(async () => {
      const user = users.find((u) => String(u.id) === chosenUser);
      if (!user) return "";
      const n = await endUserSessions(user.id);
      if (user.id === session?.user?.id) {
        loggedOut(st("loggedOutEverywhere", { n }));
        return null;
      }
      return st("endUserSessionsDone", { n, name: user.name });
    });

  async function more(): Promise<void> {
    try {
      const page = await loginThrottles(nextThrottles);
      throttles = [...(throttles ?? []), ...page.items];
      nextThrottles = page.next;
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (alive) draw();
  }

  function head(cols: string[]): HTMLElement {
    return h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c))));
  }

  function sessionsTable(list: StaffSession[]): HTMLElement {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", { class: "visually-hidden" }, st("sessionsTitle")),
        head([st("sessionDevice"), st("sessionNetwork"), st("sessionSince"), st("sessionLastSeen"), st("sessionEnds"), st("actions")]),
        h(
          "tbody",
          {},
          ...list.map((s) =>
            h(
              "tr",
              { class: s.current ? "current" : null },
              h("th", { scope: "row" }, s.device, s.current ? h("span", { class: "badge" }, ` ${st("sessionThis")}`) : null),
              h("td", {}, s.network),
              h("td", {}, formatDateTime(s.created_at)),
              h("td", {}, formatDateTime(s.last_seen_at)),
              h("td", {}, formatDateTime(s.expires_at)),
              h(
                "td",
                {},
                h(
                  "button",
                  { type: "button", class: "btn btn-small", disabled: busy, "aria-label": st("sessionEndLabel", { device: s.device, network: s.network }), onclick: () => void end(s) },
                  st("sessionEnd"),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function throttlesSection(): HTMLElement {
    const list = throttles ?? [];
    const body = !throttles
      ? h("p", { "aria-live": "polite" }, st("loading"))
      : !list.length
        ? h("p", {}, st("throttlesEmpty"))
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "data" },
              h("caption", { class: "visually-hidden" }, st("throttlesTitle")),
              head([st("throttleAccount"), st("sessionNetwork"), st("throttleFailures"), st("throttleLast"), st("throttleWaits"), st("actions")]),
              h(
                "tbody",
                {},
                ...list.map((t) =>
                  h(
                    "tr",
                    {},
                    h("th", { scope: "row" }, throttleWho(t)),
                    h("td", {}, t.network),
                    h("td", {}, String(t.failures)),
                    h("td", {}, formatDateTime(t.last_failure_at)),
                    h("td", {}, t.blocked_until ? formatDateTime(t.blocked_until) : st("throttleFree")),
                    h(
                      "td",
                      {},
                      h(
                        "button",
                        { type: "button", class: "btn btn-small", disabled: busy, "aria-label": st("throttleLiftLabel", { who: throttleWho(t), network: t.network }), onclick: () => void lift(t) },
                        st("throttleLift"),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          );
    return h(
      "section",
      { class: "admin-section", "aria-labelledby": "s-throttles-h" },
      h("h3", { id: "s-throttles-h" }, st("throttlesTitle")),
      h("p", {}, st("throttlesHelp")),
      body,
      nextThrottles ? h("button", { type: "button", class: "btn", onclick: () => void more() }, st("throttlesMore")) : null,
    );
  }

  function endUserSection(): HTMLElement {
    const sel = h("select", { id: "s-user" }, h("option", { value: "" }, "—"), ...users.map((u) => h("option", { value: String(u.id) }, `${u.name} <${u.email}>`)));
    sel.value = chosenUser;
    sel.addEventListener("change", () => (chosenUser = sel.value));
    const f = h(
      "form",
      { class: "inline-form", "aria-labelledby": "s-end-user-h" },
      h("div", { class: "field" }, h("label", { for: "s-user" }, st("throttleAccount")), sel),
      h("button", { type: "submit", class: "btn btn-danger", disabled: busy }, st("endUserSessionsButton")),
    );
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      if (chosenUser) void endOfUser();
    });
    return h(
      "section",
      { class: "admin-section", "aria-labelledby": "s-end-user-h" },
      h("h3", { id: "s-end-user-h" }, st("endUserSessionsTitle")),
      h("p", {}, st("endUserSessionsHelp")),
      f,
    );
  }

  function draw(): void {
    const parts: (HTMLElement | null)[] = [
      h("h2", {}, st("sessionsTitle")),
      h("p", {}, st("sessionsHelp")),
      h("p", { class: "hint" }, st("sessionsPrivacy")),
      h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg)),
      mine ? sessionsTable(mine) : h("p", { "aria-live": "polite" }, st("loading")),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "btn btn-danger", disabled: busy, onclick: () => void everywhere() }, st("logoutEverywhere")),
        h("p", { class: "hint" }, st("logoutEverywhereHelp")),
      ),
      isAdmin() ? throttlesSection() : null,
      isAdmin() ? endUserSection() : null,
    ];
    // A list arriving while an account is being chosen: the choice is kept (`chosenUser`), the focus too.
    keepingFocus(root, () => root.replaceChildren(...parts.filter((el): el is HTMLElement => el !== null)));
  }

  return {
    render(main) {
      root = h("div", { class: "view-sessions" });
      main.append(root);
      draw();
      if (!mine) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
