/** Held reasons and abuse flags in words, for moderation and the ticket page. */
import { h } from "../shared/dom";
import { formatDateTime } from "../shared/i18n";
import type { AbuseFlag, Ticket } from "../shared/types";
import { st, type StaffKey } from "./i18n";

const HELD: Record<string, StaffKey> = {
  blocklist: "held_blocklist",
  email_unconfirmed: "held_email_unconfirmed",
  abuse: "held_abuse",
};
const REASONS: Record<string, StaffKey> = {
  offensive: "abuse_offensive",
  personal_data: "abuse_personal_data",
  spam: "abuse_spam",
  wrong_place: "abuse_wrong_place",
  other: "abuse_other",
};

/** Why a report is held, in words; an unknown code as it is; null when not held. */
export function heldText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return HELD[reason] ? st(HELD[reason]) : reason;
}

export function flagReasonText(reason: string): string {
  return REASONS[reason] ? st(REASONS[reason]) : reason;
}

/** The number of open abuse flags, from the full ticket or from a queue item. */
export function flagCount(t: Partial<Pick<Ticket, "abuse_flags" | "abuse_flag_count">>): number {
  return t.abuse_flags?.length ?? t.abuse_flag_count ?? 0;
}

/** The "held" line: a term and its description for a <dl>, or nothing. */
export function heldFacts(t: Pick<Ticket, "held_reason">): HTMLElement[] {
  const text = heldText(t.held_reason);
  return text ? [h("dt", {}, st("held")), h("dd", { class: "held" }, text)] : [];
}

/** A heading (level `level`) and the list of flags: reason, time, comment. */
export function flagSection(flags: AbuseFlag[], id: string, level: "h3" | "h4" = "h3"): HTMLElement[] {
  if (!flags.length) return [];
  return [
    h(level, { id }, st("abuseFlags", { n: flags.length })),
    h(
      "ul",
      { class: "flags", "aria-labelledby": id },
      ...flags.map((f) =>
        h(
          "li",
          {},
          h("strong", {}, flagReasonText(f.reason)),
          " · ",
          h("time", { datetime: f.created_at }, formatDateTime(f.created_at)),
          f.comment ? h("p", { class: "note" }, f.comment) : null,
        ),
      ),
    ),
  ];
}
