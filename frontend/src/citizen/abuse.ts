/**
 * "Missbrauch melden": a modal dialog (native <dialog>) with the reasons as radio buttons and an
 * optional comment. Focus moves in on opening, Escape closes, focus returns to the opener.
 */
import { ApiError } from "../shared/api";
import { h } from "../shared/dom";
import { lang, pick } from "../shared/i18n";
import type { AbuseReason, AbuseReceipt } from "../shared/types";
import { ABUSE_COMMENT_MAX, ABUSE_REASONS, reportAbuse } from "./api";
import { t, waitText, type Key } from "./i18n";

export type AbuseSender = (publicId: string, reason: AbuseReason, comment: string) => Promise<AbuseReceipt>;

/** What to tell the citizen when sending failed: 429 with the wait, else the server's message. */
export function abuseErrorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) return e.retryAfter ? t("tooMany", { wait: waitText(e.retryAfter) }) : t("tooManyLater");
    return e.text(lang());
  }
  return t("networkError");
}

export interface AbuseDialog {
  el: HTMLDialogElement;
  open(): void;
  close(): void;
}

export function abuseDialog(publicId: string, opener: HTMLElement, send: AbuseSender = reportAbuse): AbuseDialog {
  let reason: AbuseReason | null = null;
  let comment = "";
  let error = "";
  let busy = false;
  let receipt: AbuseReceipt | null = null;

  const dlg = h("dialog", { class: "dialog", "aria-labelledby": "abuse-h" });

  function focusFirst(): void {
    const target =
      dlg.querySelector<HTMLElement>("input[type=radio]:checked") ??
      dlg.querySelector<HTMLElement>("input[type=radio]") ??
      dlg.querySelector<HTMLElement>("button");
    target?.focus();
  }

  function draw(focus: "first" | "close" | "none" = "none"): void {
    const title = h("h2", { id: "abuse-h" }, t("abuseOpen"));
    if (receipt) {
      const close = h("button", { type: "button", class: "btn btn-primary", onclick: () => api.close() }, t("close"));
      dlg.replaceChildren(title, h("p", { class: "ok", role: "status" }, pick(receipt.message) || t("abuseThanks")), h("div", { class: "nav" }, close));
      if (focus === "close") close.focus();
      return;
    }
    const radios = ABUSE_REASONS.map((r) => {
      const id = `abuse-r-${r}`;
      const input = h("input", { type: "radio", id, name: "abuse-reason", value: r, checked: reason === r });
      input.addEventListener("change", () => {
        reason = r;
        if (error === t("abuseNeedReason")) {
          error = "";
          dlg.querySelector(".alert")?.remove();
        }
      });
      return h("div", { class: "field check" }, input, h("label", { for: id }, t(`abuse_${r}` as Key)));
    });
    const ta = h("textarea", { id: "abuse-comment", rows: 3, maxlength: ABUSE_COMMENT_MAX, "aria-describedby": "abuse-comment-help" });
    ta.value = comment;
    ta.addEventListener("input", () => (comment = ta.value));
    const cancel = h("button", { type: "button", class: "btn", onclick: () => api.close() }, t("cancel"));
    // aria-disabled while sending, so the focused button keeps the focus.
    const submit = h("button", { type: "submit", class: "btn btn-primary", "aria-disabled": busy ? "true" : null }, busy ? t("sending") : t("abuseSend"));
    const form = h(
      "form",
      { class: "abuse-form", novalidate: true },
      h("fieldset", { class: "reasons" }, h("legend", {}, t("abuseReason")), ...radios),
      h("div", { class: "field" }, h("label", { for: "abuse-comment" }, t("abuseComment")), ta, h("p", { id: "abuse-comment-help", class: "hint" }, t("abuseCommentHelp"))),
      error ? h("div", { class: "alert", role: "alert" }, error) : null,
      h("div", { class: "nav" }, cancel, submit),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void submitIt();
    });
    dlg.replaceChildren(title, h("p", { class: "hint" }, t("abuseHelp")), form);
    if (focus === "first") focusFirst();
  }

  async function submitIt(): Promise<void> {
    if (busy) return;
    if (!reason) {
      error = t("abuseNeedReason");
      draw("first");
      return;
    }
    busy = true;
    error = "";
    dlg.querySelector(".alert")?.remove();
    const btn = dlg.querySelector<HTMLButtonElement>("button[type=submit]");
    btn?.setAttribute("aria-disabled", "true");
    if (btn) btn.textContent = t("sending");
    try {
      receipt = await send(publicId, reason, comment);
      busy = false;
      draw("close");
    } catch (e) {
      busy = false;
      error = abuseErrorText(e);
      draw();
      dlg.querySelector<HTMLElement>("button[type=submit]")?.focus();
    }
  }

  // Escape: the native dialog fires "cancel" and closes; where <dialog> is missing, do it here.
  dlg.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && typeof dlg.showModal !== "function") {
      e.preventDefault();
      api.close();
    }
  });
  dlg.addEventListener("close", () => {
    if (opener.isConnected) opener.focus();
  });

  const api: AbuseDialog = {
    el: dlg,
    open() {
      reason = null;
      comment = "";
      error = "";
      busy = false;
      receipt = null;
      draw();
      if (!dlg.isConnected) opener.after(dlg);
      if (typeof dlg.showModal === "function") {
        if (!dlg.open) dlg.showModal();
      } else {
        dlg.setAttribute("open", "");
      }
      focusFirst();
    },
    close() {
      if (typeof dlg.close === "function" && typeof dlg.showModal === "function") {
        if (dlg.open) dlg.close();
      } else if (dlg.hasAttribute("open")) {
        dlg.removeAttribute("open");
        dlg.dispatchEvent(new Event("close"));
      }
    },
  };
  return api;
}
