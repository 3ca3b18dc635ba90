/**
 * Following a ticket while a photo's privacy pass runs: it is read again after 2 s, then twice as
 * long each time, up to 30 s; no more once no pass is pending or the view is left.
 */
import type { TicketFull } from "../shared/types";
import { privacyOf } from "./privacy";

export const FOLLOW_FIRST_MS = 2000;
export const FOLLOW_MAX_MS = 30000;
export const nextFollowDelay = (ms: number): number => Math.min(ms * 2, FOLLOW_MAX_MS);

/** Whether any photo of the ticket still waits for its privacy pass. */
export function passPending(t: Pick<TicketFull, "photos">): boolean {
  return (t.photos ?? []).some((p) => privacyOf(p).state === "pending");
}

export interface Follower {
  /** After each drawing: the next read is scheduled while `pending()` holds (once), else the wait starts over. */
  check(): void;
  /** The view is left: no read any more. */
  stop(): void;
}

/** Calls `read` while `pending()` holds, backing off; a failed read is tried again later. */
export function follower(pending: () => boolean, read: () => Promise<void>): Follower {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delay = FOLLOW_FIRST_MS;
  let stopped = false;
  const f: Follower = {
    check() {
      if (stopped || !pending()) {
        clearTimeout(timer);
        timer = undefined;
        delay = FOLLOW_FIRST_MS;
        return;
      }
      if (timer !== undefined) return; // scheduled, or a read under way
      timer = setTimeout(() => {
        if (stopped || !pending()) {
          timer = undefined;
          f.check();
          return;
        }
        void read()
          .catch(() => undefined)
          .then(() => {
            timer = undefined;
            delay = nextFollowDelay(delay);
            f.check();
          });
      }, delay);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
  return f;
}
