/** "Verwaltung", sign-in: whether a work-account provider is set up, password sign-in for staff on or off, the break-glass accounts. */
import type { components } from "../../shared/api-types";
import { h } from "../../shared/dom";
import { formatDateTime } from "../../shared/i18n";
import { get, send } from "../api";
import { st } from "../i18n";
import { errorText, messageEl } from "../shell";
import { check, keptForm, placeOnce, section, type Msg, type Section } from "./form";

type SignInAdmin = components["schemas"]["SignInAdmin"];
const PATH = "/api/v1/admin/sign-in";

export function signInSection(): Section {
  const { root, body } = section("signIn", "a-signin");
  let state: SignInAdmin | null = null;
  let msg: Msg = null;

  function newForm(): HTMLFormElement {
    const [box, passwords] = check("si-passwords", st("signInPasswords"), state?.local_passwords ?? true);
    passwords.name = "local_passwords";
    const form = h(
      "form",
      { class: "inline-form", "aria-label": st("signIn") },
      box,
      h("p", { class: "hint" }, st("signInPasswordsHelp")),
      h("button", { type: "submit", class: "btn" }, st("save")),
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        state = await send<SignInAdmin>(PATH, { local_passwords: passwords.checked }, "PUT");
        msg = { text: st("saved"), kind: "ok" };
        kept.reset();
        s.draw();
      } catch (err) {
        msg = null;
        s.draw();
        kept.refuse(err);
      }
    });
    return form;
  }

  const kept = keptForm(newForm);
  const info = h("div", {});
  const place = placeOnce(body, () => [info, kept.current()]);

  const s: Section = {
    root,
    async load() {
      try {
        state = await get<SignInAdmin>(PATH);
        kept.reset();
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      place();
      const form = kept.current();
      form.hidden = state === null;
      if (state === null) {
        info.replaceChildren(...[messageEl(msg), h("p", {}, st("loading"))].filter((x): x is HTMLElement => !!x));
        return;
      }
      const provider = state.oidc ? st("signInProviderAt", { issuer: state.issuer ?? "" }) : st("signInProviderNone");
      const changed = state.chosen ? st("signInChanged", { when: formatDateTime(state.changed_at), who: state.changed_by ?? "" }) : st("signInDefault");
      info.replaceChildren(
        ...[messageEl(msg)].filter((x): x is HTMLElement => !!x),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, st("signInProvider")),
          h("dd", {}, provider),
          h("dt", {}, st("signInBreakGlass")),
          h("dd", {}, state.break_glass_emails.length ? state.break_glass_emails.join(", ") : st("signInNone")),
        ),
        h("p", { class: "hint" }, changed),
      );
    },
  };
  return s;
}
