/** "Verwaltung", accounts and API tokens: the lists, a new account, a new token, revoking one. */
import { h } from "../../shared/dom";
import { formatDateTime, pick } from "../../shared/i18n";
import type { ApiToken, ApiTokenCreated, Department, User } from "../../shared/types";
import { allPages, call, send } from "../api";
import { st, type StaffKey } from "../i18n";
import { namesOf } from "../names";
import { departments, errorText, messageEl } from "../shell";
import { check, deptOptions, field, keptForm, placeOnce, section, table, type Msg, type Section } from "./form";

export function accountsSection(): Section {
  const { root, body } = section("accounts", "a-users");
  let users: User[] | null = null;
  let tokens: ApiToken[] | null = null;
  let depts: Department[] = [];
  let msg: Msg = null;
  /** The token just made: its secret is shown this once. */
  let newToken: ApiTokenCreated | null = null;

  const roles = () => ["crew", "supervisor", "admin"].map((r) => h("option", { value: r }, st(`role_${r}` as StaffKey)));

  function userForm(): HTMLFormElement {
    const email = h("input", { type: "email", required: true, autocomplete: "off", name: "email" });
    const name = h("input", { type: "text", required: true, name: "name" });
    const role = h("select", { name: "role" }, ...roles());
    const dept = h("select", { multiple: true, name: "departments", size: Math.min(6, Math.max(2, depts.length)) }, ...depts.map((d) => h("option", { value: d.code }, pick(d.name))));
    const [cwF, cw] = check("u-citywide", st("citywide"));
    const pw = h("input", { type: "password", required: true, autocomplete: "new-password", name: "password" });
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
        users_.reset();
        await s.load();
      } catch (err) {
        msg = null;
        s.draw();
        users_.refuse(err);
      }
    });
    return form;
  }

  function tokenForm(): HTMLFormElement {
    const name = h("input", { type: "text", required: true, name: "name" });
    const role = h("select", { name: "role" }, ...roles());
    const dept = deptOptions(depts);
    dept.name = "departments";
    const [cwF, cw] = check("k-citywide", st("citywide"));
    const [trF, tr] = check("k-trusted", st("tokenTrusted"));
    tr.setAttribute("aria-describedby", "k-trusted-help");
    trF.append(h("p", { class: "hint", id: "k-trusted-help" }, st("tokenTrustedHelp")));
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("newToken") },
      field("k-name", st("name"), name),
      field("k-role", st("role"), role),
      field("k-dept", st("department"), dept),
      cwF,
      trF,
      h("button", { type: "submit", class: "btn" }, st("create")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        newToken = await send<ApiTokenCreated>("/api/v1/admin/tokens", { name: name.value.trim(), role: role.value, departments: dept.value ? [dept.value] : [], citywide: cw.checked, trusted: tr.checked });
        msg = null;
        tokens_.reset();
        await s.load();
        root.querySelector<HTMLElement>(".token-box")?.focus();
      } catch (err) {
        msg = null;
        s.draw();
        tokens_.refuse(err);
      }
    });
    return form;
  }

  // The lists are redrawn; the two forms are built once and stay, so what is typed and the caret stay.
  const users_ = keptForm(userForm);
  const tokens_ = keptForm(tokenForm);
  const usersBox = h("div", {});
  const tokensBox = h("div", {});
  const userHeading = h("h4", {});
  const tokensHeading = h("h4", { id: "a-tokens-h" });
  const tokenHeading = h("h4", {});
  const place = placeOnce(body, () => [usersBox, userHeading, users_.current(), tokensHeading, tokensBox, tokenHeading, tokens_.current()]);

  const s: Section = {
    root,
    async load() {
      try {
        depts = await departments().catch(() => []);
        users_.refresh(); // the departments to choose from
        tokens_.refresh();
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
        h("code", {}, `${t.prefix}…`),
        st(`role_${t.role}` as StaffKey),
        t.citywide ? st("citywide") : namesOf("department", t.departments),
        t.trusted ? st("tokenTrusted") : "—",
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
      place();
      userHeading.textContent = st("newUser");
      tokensHeading.textContent = st("tokens");
      tokenHeading.textContent = st("newToken");
      users_.current();
      tokens_.current();
      usersBox.replaceChildren(
        ...[messageEl(msg)].filter((x): x is HTMLElement => !!x),
        users
          ? table(st("accounts"), [st("email"), st("name"), st("role"), st("departments"), st("lastLogin")], users.map((u) => [u.email, u.name, st(`role_${u.role}` as StaffKey), u.citywide ? st("citywide") : namesOf("department", u.departments), formatDateTime(u.last_login_at)]))
          : h("p", {}, st("loading")),
      );
      tokensBox.replaceChildren(
        newToken?.token
          ? h("div", { class: "ok token-box", role: "status", tabindex: "-1" }, h("p", {}, st("tokenOnce")), h("p", { class: "token-once" }, h("code", {}, newToken.token)))
          : "",
        tokens ? table(st("tokens"), [st("name"), st("prefix"), st("role"), st("departments"), st("tokenTrustedCol"), st("tokenCreated"), st("actions")], tokenRows) : "",
      );
    },
  };
  return s;
}
