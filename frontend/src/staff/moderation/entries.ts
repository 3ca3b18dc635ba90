/** What the moderation list holds: the server's pages of tickets to moderate, and each row's state. */
import type { Ticket } from "../../shared/types";
import { flagCount } from "../abuse";
import { ApiError, getTicket, listTickets, type Versioned } from "../api";
import { needsPrivacyReview } from "../privacy";
import type { Frame, Rect } from "../rects";

export type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** Tickets a moderation page holds (each is then loaded whole); "Weitere laden" adds the next. */
export const MODERATION_PAGE = 30;

export interface ModerationPage {
  items: Ticket[];
  /** The cursor of the next page; null on the last. */
  next: string | null;
}

/**
 * Tickets to moderate, a page at a time: the server's `published=false` filter (unpublished
 * reports, and published ones with a photo whose privacy pass failed) when it exists, else
 * the queue filtered here.
 */
export async function unpublished(cursor: string | null = null): Promise<ModerationPage> {
  try {
    const r = await listTickets({ published: "false", limit: MODERATION_PAGE, cursor });
    return { items: r.items, next: r.next };
  } catch (e) {
    if (!(e instanceof ApiError) || ![400, 404, 422].includes(e.status)) throw e;
  }
  return { items: (await listTickets({ limit: 500 })).items.filter((t) => t.published === false), next: null };
}

/** Flagged tickets (open abuse flags), public or not, a page at a time: the server's `flagged=true` filter. */
export async function flagged(cursor: string | null = null): Promise<ModerationPage> {
  const r = await listTickets({ flagged: "true", limit: MODERATION_PAGE, cursor });
  return { items: r.items, next: r.next };
}

/** The moderation filter, kept while the staff member moves between pages. */
export const filter = { flagged: false };

export interface Entry {
  v: Versioned;
  text: string;
  photoIds: Set<number>;
  rects: Map<number, Rect[]>;
  /** Per photo, the ids of the boxes (found by the pass or drawn before) to drop on saving. */
  removed: Map<number, Set<number>>;
  /** The keyboard frame per photo, kept while the item is redrawn. */
  frames: Map<number, Frame>;
  /** The photo whose box gets the focus back after a redraw (an area added by keyboard). */
  refocus: number | null;
  msg: Msg;
  bust: number;
  /** The row's text is being edited. */
  editing: boolean;
  /** The photo whose black-out tool is open, or null. */
  open: number | null;
}

/** A page of the list, each ticket loaded whole, and the next page's cursor. */
export async function fetchPage(onlyFlagged: boolean, cursor: string | null): Promise<{ entries: Entry[]; next: string | null }> {
  const page = onlyFlagged ? await flagged(cursor) : await unpublished(cursor);
  const full = await Promise.all(page.items.map((t) => getTicket(t.public_id)));
  const fresh = full
    .filter((v) => (onlyFlagged ? flagCount(v.ticket) > 0 : !v.ticket.published || needsPrivacyReview(v.ticket)))
    .map((v) => ({
      v,
      text: v.ticket.public_description ?? v.ticket.description ?? "",
      photoIds: new Set(v.ticket.photos.filter((p) => p.kind !== "after").map((p) => p.id)),
      rects: new Map(),
      removed: new Map(),
      frames: new Map(),
      refocus: null,
      msg: null,
      bust: 0,
      editing: false,
      open: null,
    }));
  return { entries: fresh, next: page.next };
}
