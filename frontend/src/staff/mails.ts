/** Undeliverable mails: the notice on a ticket, and the admins' list with "send again". */
import { h } from "../shared/dom";
import { formatDateTime } from "../shared/i18n";
import type { FailedMail, MailFailure } from "../shared/types";
import { listFailedMails, retryMail } from "./api";
import { st, type StaffKey } from "./i18n";
import { retryListView } from "./retry-list";
import type { StaffView } from "./shell";

const KINDS = ["acknowledged", "resolved", "rejected", "followup", "confirm_email", "confirm_follow", "escalation", "digest"];

/** Which mail, in words; an unknown kind as it is. */
export function mailKindText(kind: string): string {
  return KINDS.includes(kind) ? st(`mail_${kind}` as StaffKey) : kind;
}

/** "Mail an den Meldenden nicht zustellbar" and the like. */
export function mailFailedText(f: Pick<MailFailure, "to">): string {
  return st(`mailFailed_${f.to}` as StaffKey);
}

/** The ticket's notice of its undeliverable mails, or nothing. */
export function mailFailureSection(failures: MailFailure[] | undefined): HTMLElement | null {
  if (!failures?.length) return null;
  return h(
    "section",
    { class: "mail-failures alert", "aria-labelledby": "t-mails-h" },
    h("h3", { id: "t-mails-h" }, st("mailFailuresTitle")),
    h(
      "ul",
      {},
      ...failures.map((f) =>
        h(
          "li",
          {},
          h("strong", {}, mailFailedText(f)),
          " – ",
          st("mailFailedWhen", { kind: mailKindText(f.kind), at: formatDateTime(f.failed_at) }),
          f.error ? h("p", { class: "hint" }, h("code", {}, f.error)) : null,
        ),
      ),
    ),
    h("p", { class: "hint" }, st("mailFailedHint")),
  );
}

/** The admins' list: newest first, a page at a time, each with "send again". */
export function mailsView(): StaffView {
  return retryListView<FailedMail>({
    cls: "view-mails",
    fetch: (cursor) => listFailedMails(cursor),
    async retry(mail) {
      await retryMail(mail.id);
      return st("mailRetried", { id: mail.id });
    },
    same: (a, b) => a.id === b.id,
    head: () => [h("h2", {}, st("mailsTitle")), h("p", {}, st("mailsHelp"))],
    table,
  });
}

function table(mails: FailedMail[], retry: (m: FailedMail) => void, busy: boolean): HTMLElement {
  if (!mails.length) return h("p", {}, st("mailsEmpty"));
  const cols = [st("mailKind"), st("mailTo"), st("mailReport"), st("mailFailedAt"), st("mailError"), st("actions")];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data" },
      h("caption", { class: "visually-hidden" }, st("mailsTitle")),
      h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ...mails.map((m) =>
          h(
            "tr",
            {},
            h("th", { scope: "row", tabindex: "-1" }, mailKindText(m.kind)),
            h("td", {}, st(`mailTo_${m.to}` as StaffKey)),
            h("td", {}, m.report ? h("a", { href: `#/ticket/${encodeURIComponent(m.report)}` }, m.report) : "–"),
            h("td", {}, formatDateTime(m.failed_at)),
            h("td", {}, m.error ? h("code", {}, m.error) : ""),
            h(
              "td",
              {},
              h(
                "button",
                { type: "button", class: "btn btn-small", disabled: busy, "aria-label": st("mailRetryLabel", { id: m.id }), onclick: () => retry(m) },
                st("mailRetry"),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
