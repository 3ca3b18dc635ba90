/** The confirmation link's page at /confirm/<token>: confirms on load, says what happens next. */
import { ApiError } from "../shared/api";
import { focusHeading, h } from "../shared/dom";
import { lang, pick } from "../shared/i18n";
import type { Confirmation } from "../shared/types";
import { confirmEmail } from "./api";
import type { View } from "./app";
import { t } from "./i18n";
import { reportPath } from "./routes";

export type ConfirmState =
  | { kind: "loading" }
  | { kind: "published"; result: Confirmation }
  | { kind: "review"; result: Confirmation }
  | { kind: "following"; result: Confirmation }
  | { kind: "expired"; error: ApiError }
  | { kind: "invalid"; error: ApiError }
  | { kind: "failed"; error: unknown };

/** What an answer (or a failure) of the confirm call means for the citizen. */
export function confirmState(outcome: { result: Confirmation } | { error: unknown }): ConfirmState {
  if ("result" in outcome) {
    const result = outcome.result;
    if (result.following) return { kind: "following", result };
    return { kind: result.published ? "published" : "review", result };
  }
  const e = outcome.error;
  if (e instanceof ApiError) {
    if (e.status === 410 || e.code === "confirmation_expired") return { kind: "expired", error: e };
    if (e.code === "confirmation_invalid" || e.status === 400 || e.status === 404) return { kind: "invalid", error: e };
  }
  return { kind: "failed", error: e };
}

export function confirmView(token: string, confirm: (token: string) => Promise<Confirmation> = confirmEmail): View {
  let state: ConfirmState = { kind: "loading" };
  let root: HTMLElement | null = null;
  let started = false;

  async function run(): Promise<void> {
    state = { kind: "loading" };
    draw();
    try {
      state = confirmState({ result: await confirm(token) });
    } catch (error) {
      state = confirmState({ error });
    }
    draw(true);
  }

  function draw(focus = false): void {
    if (!root) return;
    const s = state;
    let title: HTMLElement;
    const body: (HTMLElement | null)[] = [];
    switch (s.kind) {
      case "loading":
        title = h("h2", { tabindex: "-1" }, t("confirmTitle"));
        body.push(h("p", { role: "status" }, t("confirming")));
        break;
      case "published":
      case "review":
      case "following": {
        const r = s.result;
        const status = { published: "confirmPublished", review: "confirmReview", following: "confirmFollowing" } as const;
        const linked = s.kind !== "review" && r.published;
        title = h("h2", { tabindex: "-1" }, t("confirmTitle"));
        body.push(
          h("p", { class: "ok", role: "status" }, t(status[s.kind])),
          pick(r.message) ? h("p", {}, pick(r.message)) : null,
          h("p", {}, t("reportId", { id: r.public_id })),
          linked ? h("p", {}, h("a", { href: reportPath(r.public_id), class: "btn btn-primary" }, t("viewReport"))) : null,
        );
        break;
      }
      case "expired":
      case "invalid":
        title = h("h2", { tabindex: "-1" }, t(s.kind === "expired" ? "confirmExpiredTitle" : "confirmInvalidTitle"));
        body.push(
          h("div", { class: "alert", role: "alert" }, s.error.text(lang())),
          h("p", {}, t(s.kind === "expired" ? "confirmExpiredHelp" : "confirmInvalidHelp")),
        );
        break;
      case "failed": {
        title = h("h2", { tabindex: "-1" }, t("confirmTitle"));
        const retry = h("button", { type: "button", class: "btn btn-primary", onclick: () => void run() }, t("retry"));
        body.push(h("div", { class: "alert", role: "alert" }, s.error instanceof ApiError ? s.error.text(lang()) : t("networkError")), h("p", {}, retry));
        break;
      }
    }
    root.replaceChildren(title, ...body.filter((x): x is HTMLElement => !!x), h("p", {}, h("a", { href: "/" }, t("toMap"))));
    if (focus) focusHeading(title);
  }

  return {
    render(main) {
      root = h("section", { class: "confirm" });
      main.append(root);
      draw();
      // Confirm once per view, not again after a language switch.
      if (!started) {
        started = true;
        void run();
      }
    },
  };
}
