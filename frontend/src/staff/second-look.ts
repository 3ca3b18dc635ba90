/** The second look before a ticket is rejected or resolved: what the reporter will get, asked once. */
import { h } from "../shared/dom";
import { statusLabel } from "../shared/i18n";
import type { TicketFull } from "../shared/types";
import { confirmDialog } from "./dialog";
import { st } from "./i18n";

/** The states whose change is announced to the reporter and is not undone by a tap. */
export const CONFIRMED_STATES = ["rejected", "resolved"];

/**
 * Ask before moving a ticket to `to`: the new status and the public note exactly as the
 * reporter will read it (the tracking page, and the e-mail the followers get).
 */
export function confirmStateChange(t: Pick<TicketFull, "public_id" | "reporter_email">, to: string, publicNote: string): Promise<boolean> {
  const reject = to === "rejected";
  const body: (Node | string)[] = [h("p", {}, st("confirmStatus", { s: statusLabel(to) }))];
  if (publicNote) body.push(h("p", {}, st("confirmPublicNote")), h("blockquote", { class: "public-note-preview" }, publicNote));
  else body.push(h("p", {}, st("confirmNoNote")));
  if (!t.reporter_email) body.push(h("p", { class: "hint" }, st("confirmNoMail")));
  return confirmDialog({
    title: st(reject ? "confirmRejectTitle" : "confirmResolveTitle", { id: t.public_id }),
    body,
    confirm: st(reject ? "confirmRejectYes" : "confirmResolveYes"),
    danger: reject,
  });
}
