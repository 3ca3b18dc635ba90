/**
 * The automatic privacy pass as staff see it: a photo's pass state (pending, failed with its
 * reason, done with what it made unrecognisable, reviewed by a moderator), the boxes the pass
 * found, drawn over the unblurred original in the black-out tool, and the history lines of
 * the pass and of a redaction.
 */
import { h } from "../shared/dom";
import { pick, type Bilingual } from "../shared/i18n";
import type { Event, StaffPhoto } from "../shared/types";
import { st, type StaffKey } from "./i18n";
import type { Rect, Size } from "./rects";

export type PassState = "pending" | "done" | "failed" | "reviewed";

/** One box on the web-size image: found by the pass ("auto") or drawn by a moderator ("manual"). */
export interface PrivacyBox {
  id: number;
  x: number;
  y: number;
  w: number;
  h: number;
  kind: "face" | "plate" | "manual" | string;
  source: "auto" | "manual" | string;
  score?: number | null;
}

/** A photo's pass: its state (null: stored before the pass existed), why it failed, its boxes. */
export interface PhotoPrivacy {
  state: PassState | null;
  reason: Bilingual | null;
  boxes: PrivacyBox[];
}

/** A ticket's photo with the pass's fields (the API's `privacy` and `original_url`). */
export type PassPhoto = StaffPhoto & { privacy?: Partial<PhotoPrivacy> | null; original_url?: string | null };

const STATES: readonly string[] = ["pending", "done", "failed", "reviewed"];

/** The photo's pass, whole: a photo without one (or from an older server) has state null and no boxes. */
export function privacyOf(p: StaffPhoto): PhotoPrivacy {
  const raw = (p as PassPhoto).privacy;
  const state = raw?.state && STATES.includes(raw.state) ? raw.state : null;
  const boxes = Array.isArray(raw?.boxes) ? raw.boxes.filter((b) => b && Number.isFinite(b.id) && b.w > 0 && b.h > 0) : [];
  return { state, reason: raw?.reason ?? null, boxes };
}

/** The staff-only URL of the unblurred web image, or null when there is none. */
export function originalUrl(p: StaffPhoto): string | null {
  return (p as PassPhoto).original_url || null;
}

/** Auto boxes are faces or number plates; anything else is a box drawn by hand. */
export function isAuto(b: PrivacyBox): boolean {
  return b.source === "auto";
}

export interface Counts {
  faces: number;
  plates: number;
  manual: number;
}

/** What is made unrecognisable: the auto faces and plates, and the boxes drawn by hand, without the removed ones. */
export function countBoxes(boxes: readonly PrivacyBox[], removed: ReadonlySet<number> = new Set()): Counts {
  const kept = boxes.filter((b) => !removed.has(b.id));
  return {
    faces: kept.filter((b) => isAuto(b) && b.kind === "face").length,
    plates: kept.filter((b) => isAuto(b) && b.kind === "plate").length,
    manual: kept.filter((b) => !isAuto(b)).length,
  };
}

/** Where a box sits on the shown image, in percent of its width and height (clamped to the image). */
export function boxPercent(b: Pick<PrivacyBox, "x" | "y" | "w" | "h">, image: Size): { left: number; top: number; width: number; height: number } {
  const W = image.width > 0 ? image.width : 1;
  const H = image.height > 0 ? image.height : 1;
  const x0 = Math.min(W, Math.max(0, b.x));
  const y0 = Math.min(H, Math.max(0, b.y));
  const x1 = Math.min(W, Math.max(x0, b.x + b.w));
  const y1 = Math.min(H, Math.max(y0, b.y + b.h));
  const pct = (v: number, of: number) => Math.round((v / of) * 100000) / 1000;
  return { left: pct(x0, W), top: pct(y0, H), width: pct(x1 - x0, W), height: pct(y1 - y0, H) };
}

/** A box as the [x, y, w, h] the overlay draws. */
export function boxRect(b: PrivacyBox): Rect {
  return [b.x, b.y, b.w, b.h];
}

/** The redact endpoint's body: the rectangles drawn, the boxes to drop (sorted, each once). */
export function redactBody(rects: readonly Rect[], removed: Iterable<number> = []): { rects: Rect[]; remove: number[] } {
  return { rects: [...rects], remove: [...new Set(removed)].sort((a, b) => a - b) };
}

/**
 * Whether the black-out tool's save may be sent: something drawn or removed, or — on a photo
 * whose pass failed or has not finished — nothing at all, which says "a moderator checked it".
 */
export function canSave(p: PhotoPrivacy, rects: number, removed: number): boolean {
  return rects > 0 || removed > 0 || p.state === "failed" || p.state === "pending";
}

/** The tool saves ("Speichern") a photo with an original or a failed pass; else it blacks out ("Schwärzen") as before. */
export function savesReview(p: PhotoPrivacy, hasOriginal: boolean): boolean {
  return hasOriginal || p.state === "failed";
}

/** Whether a photo waits for a moderator because its pass failed. */
export function passFailed(p: StaffPhoto): boolean {
  return privacyOf(p).state === "failed";
}

/** A ticket some of whose citizen photos failed the pass: it belongs in moderation even when published. */
export function needsPrivacyReview(t: { photos?: readonly StaffPhoto[] | null }): boolean {
  return (t.photos ?? []).some((p) => p.kind !== "after" && passFailed(p));
}

const KIND_KEYS: Record<string, StaffKey> = { face: "privacyKindFace", plate: "privacyKindPlate" };

/** "Gesicht 1", "Kennzeichen 2", "Bereich 3": a box named by its kind, numbered within its kind on the photo. */
export function boxName(b: PrivacyBox, boxes: readonly PrivacyBox[]): string {
  const key = isAuto(b) ? (KIND_KEYS[b.kind] ?? "privacyKindOther") : "privacyKindManual";
  const same = boxes.filter((o) => (isAuto(o) ? (KIND_KEYS[o.kind] ?? "privacyKindOther") : "privacyKindManual") === key);
  return st(key, { n: same.indexOf(b) + 1 });
}

const REASONS: Record<string, StaffKey> = {
  model_missing: "privacyReason_model_missing",
  model_altered: "privacyReason_model_altered",
  timeout: "privacyReason_timeout",
  error: "privacyReason_error",
};

/** A failure's reason as text: the server's words when it sent them, else ours for its code. */
export function reasonText(reason: Bilingual | string | null | undefined): string {
  if (reason && typeof reason === "object") return pick(reason);
  return st(REASONS[reason ?? ""] ?? "privacyReason_error");
}

/** What a finished pass (or a moderator's review) made unrecognisable, as one line. */
export function countsText(c: Counts): string {
  const line = st("privacyDone", { faces: c.faces, plates: c.plates });
  return c.manual ? `${line}, ${st("privacyManual", { n: c.manual })}` : line;
}

/** The pass state of a photo as one line of text; "" for a photo from before the pass. */
export function stateText(p: PhotoPrivacy): string {
  switch (p.state) {
    case "pending":
      return st("privacyPending");
    case "failed":
      return st("privacyFailed", { reason: reasonText(p.reason) });
    case "done":
      return countsText(countBoxes(p.boxes));
    case "reviewed":
      return `${st("privacyReviewed")} ${countsText(countBoxes(p.boxes))}`;
    default:
      return "";
  }
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const many = (v: unknown): number => (Array.isArray(v) ? v.length : num(v));

/**
 * The detail of a history entry of the pass or of a redaction, after its name; null for other
 * kinds. `photoNumber` says which photo ("Foto 2") from the event's photo id.
 */
export function privacyEventDetail(e: Pick<Event, "kind" | "data">, photoNumber?: (id: number) => number | null): string | null {
  if (e.kind !== "privacy_pass" && e.kind !== "redacted") return null;
  const d = (e.data ?? {}) as Record<string, unknown>;
  const n = typeof d.photo_id === "number" ? photoNumber?.(d.photo_id) : null;
  const parts: string[] = [];
  if (e.kind === "privacy_pass") {
    if (d.failed) parts.push(st("privacyEventFailed", { reason: reasonText(String(d.failed)) }));
    else parts.push(st("privacyDone", { faces: num(d.faces), plates: num(d.plates) }));
  } else {
    const added = many(d.rects);
    const removed = many(d.removed);
    if (added) parts.push(st("privacyEventAdded", { n: added }));
    if (removed) parts.push(st("privacyEventRemoved", { n: removed }));
    if (!added && !removed) parts.push(st("privacyEventChecked"));
  }
  const text = parts.join(", ");
  return n ? `${st("privacyEventPhoto", { n })}: ${text}` : text;
}

/**
 * A photo's pass state where the photo is shown: a line for pending, done and reviewed; for a
 * failed pass its reason, that the photo stays unpublished until a moderator checked it, and
 * the button "Erneut prüfen" (named with the photo's number). Null for a photo from before the pass.
 */
export function passNote(p: StaffPhoto, n: number, retry: (() => void) | null, busy = false): HTMLElement | null {
  const pass = privacyOf(p);
  if (!pass.state) return null;
  if (pass.state !== "failed") return h("p", { class: `hint pass pass-${pass.state}` }, stateText(pass));
  return h(
    "div",
    { class: "pass pass-failed" },
    h("p", { class: "pass-reason" }, h("strong", {}, st("privacyEventPhoto", { n })), ": ", stateText(pass)),
    h("p", { class: "hint" }, st("privacyFailedHint")),
    retry
      ? h("button", { type: "button", class: "btn btn-small btn-touch", disabled: busy, "aria-label": st("privacyRetryPhoto", { n }), onclick: () => retry() }, st("privacyRetry"))
      : null,
  );
}
