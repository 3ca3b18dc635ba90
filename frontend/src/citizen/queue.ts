/**
 * The outbox: reports that could not be sent yet wait in IndexedDB with their photos and their
 * Idempotency-Key, and are sent in order, one at a time, with that same key, so the server
 * files each exactly once.
 *
 * A report leaves the outbox only when the server stored it, or when the citizen discards it.
 * "Later" answers (network errors, lost answers, 408/423/425/429, 5xx) keep it and schedule the
 * next try with exponential backoff (jitter, a cap) that never comes earlier than Retry-After.
 * A definitive refusal (400, 413, 422 …) stops the automatic tries for that report: it waits,
 * with the server's message, until the citizen edits and resends it or discards it.
 */

import { openDB, type IDBPDatabase } from "idb";
import { ApiError, NetworkError } from "../shared/api";
import type { Bilingual } from "../shared/i18n";
import type { SubmitResult } from "../shared/types";
import { submitReport, type ReportFields } from "./api";

export interface StoredPhoto {
  type: string;
  data: ArrayBuffer;
}

/** The server's definitive refusal of a queued report, as it said it. */
export interface Refusal {
  status: number;
  code: string;
  messages: Bilingual;
  fields: Record<string, Bilingual[]>;
}

export interface QueuedReport {
  id?: number;
  key: string;
  fields: ReportFields;
  photos: StoredPhoto[];
  queuedAt: number;
  /** Tries that were answered "later" (or not at all) since the last success of the queue. */
  attempts?: number;
  /** Not tried again before this time (epoch ms): the backoff. */
  nextAt?: number;
  /** Not before this time even when the connection returns: the server's Retry-After. */
  notBefore?: number;
  /** Set when the server refused it for good: no automatic tries until the citizen acts. */
  refused?: Refusal;
}

export type FlushOutcome =
  | { key: string; ok: true; result: SubmitResult }
  | { key: string; ok: false; error: ApiError };

export type Sender = (fields: ReportFields, photos: Blob[], key: string) => Promise<SubmitResult>;

/** Time and timers, injected so tests move time instead of waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Backoff {
  /** The first wait after a failed try. */
  baseMs: number;
  /** The longest wait the doubling reaches. */
  capMs: number;
  /** The longest Retry-After taken as it is (an HTTP date years ahead is not waited for). */
  retryAfterCapMs: number;
}

export const BACKOFF: Backoff = { baseMs: 2_000, capMs: 5 * 60_000, retryAfterCapMs: 60 * 60_000 };

/** 4xx answers that mean "not now" rather than "not this": the report stays queued. */
const LATER_STATUSES = new Set([408, 423, 425, 429]);

/** Whether an answer refuses the report for good (sending it again unchanged cannot help). */
export function isDefinitive(status: number): boolean {
  return status >= 400 && status < 500 && !LATER_STATUSES.has(status);
}

/** Whether an error means "try later" (keep it queued) rather than "the input is wrong". */
export function isRetryable(e: unknown): boolean {
  if (e instanceof NetworkError || e instanceof TypeError) return true;
  return e instanceof ApiError && !isDefinitive(e.status);
}

/**
 * Milliseconds to wait after the `attempts`-th failed try: the doubling backoff with "equal
 * jitter" (half fixed, half random, so phones that failed together do not return together),
 * capped; never less than the server's Retry-After (seconds), which gets a little jitter too.
 */
export function retryDelay(attempts: number, retryAfterSeconds: number | null, random: () => number = Math.random, backoff: Backoff = BACKOFF): number {
  const exp = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  if (retryAfterSeconds === null || !(retryAfterSeconds >= 0)) return Math.round(jittered);
  const told = Math.min(retryAfterSeconds * 1000, backoff.retryAfterCapMs);
  // What the server asked for, and up to a tenth (at least 250 ms, at most 5 s) more.
  return Math.round(told + random() * Math.min(5_000, Math.max(250, told / 10)));
}

const STORE = "outbox";

async function toStored(blob: Blob): Promise<StoredPhoto> {
  // ArrayBuffers clone into IndexedDB everywhere (Blobs did not on every browser).
  const data = typeof blob.arrayBuffer === "function" ? await blob.arrayBuffer() : await new Response(blob).arrayBuffer();
  return { type: blob.type || "image/jpeg", data };
}

/** The photos of a queued report as Blobs again. */
export function photoBlobs(item: QueuedReport): Blob[] {
  return item.photos.map((p) => new Blob([p.data], { type: p.type }));
}

/** What the citizen sees of the outbox. */
export interface OutboxState {
  /** Reports waiting for an automatic try. */
  waiting: number;
  /** Reports the server refused, waiting for the citizen. */
  refused: QueuedReport[];
  /** When the next automatic try is due (epoch ms), null when none waits or it is due now. */
  nextAt: number | null;
}

export interface OutboxOptions {
  clock?: Clock;
  random?: () => number;
  backoff?: Backoff;
  /** Whether a timer may send now (false while the device says it is offline). */
  canSend?: () => boolean;
}

export class Outbox {
  private db: Promise<IDBPDatabase> | null = null;
  private running: Promise<FlushOutcome[]> | null = null;
  private listeners = new Set<(o: FlushOutcome) => void>();
  private changeListeners = new Set<() => void>();
  private timer: unknown = null;
  private timerAt: number | null = null;
  private clock: Clock;
  private random: () => number;
  private backoff: Backoff;
  private canSend: () => boolean;

  constructor(
    private dbName = "maengelmelder",
    private send: Sender = submitReport,
    options: OutboxOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? BACKOFF;
    this.canSend = options.canSend ?? (() => true);
  }

  private open(): Promise<IDBPDatabase> {
    this.db ??= openDB(this.dbName, 1, {
      upgrade(db) {
        db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      },
    });
    return this.db;
  }

  /**
   * Keep a report for later; its key goes with it. `failure` is the error of the try that
   * just failed, if there was one: the first automatic try then waits its backoff (or its
   * Retry-After) instead of coming at once.
   */
  async add(key: string, fields: ReportFields, photos: Blob[], failure?: unknown): Promise<number> {
    const stored = await Promise.all(photos.map(toStored));
    const db = await this.open();
    const item = this.afterFailure({ key, fields, photos: stored, queuedAt: this.clock.now() }, failure);
    const id = (await db.add(STORE, item)) as number;
    this.changed();
    return id;
  }

  /** Put an edited report in the place of a queued one (its refusal and backoff are gone). */
  async replace(id: number, key: string, fields: ReportFields, photos: Blob[], failure?: unknown): Promise<void> {
    const stored = await Promise.all(photos.map(toStored));
    const db = await this.open();
    const old = (await db.get(STORE, id)) as QueuedReport | undefined;
    const item = this.afterFailure({ id, key, fields, photos: stored, queuedAt: old?.queuedAt ?? this.clock.now() }, failure);
    await db.put(STORE, item);
    this.changed();
  }

  /** The item with one more failed try counted, and its next try scheduled. */
  private afterFailure(item: QueuedReport, failure: unknown): QueuedReport {
    if (failure === undefined) return item;
    const attempts = (item.attempts ?? 0) + 1;
    const retryAfter = failure instanceof ApiError ? failure.retryAfter : null;
    const now = this.clock.now();
    const next: QueuedReport = { ...item, attempts, nextAt: now + retryDelay(attempts, retryAfter, this.random, this.backoff) };
    if (retryAfter !== null) next.notBefore = now + Math.min(retryAfter * 1000, this.backoff.retryAfterCapMs);
    else delete next.notBefore;
    return next;
  }

  /** Take a report out of the outbox (sent another way, or discarded by the citizen). */
  async remove(id: number): Promise<void> {
    const db = await this.open();
    await db.delete(STORE, id);
    this.changed();
  }

  async get(id: number): Promise<QueuedReport | undefined> {
    const db = await this.open();
    return (await db.get(STORE, id)) as QueuedReport | undefined;
  }

  async list(): Promise<QueuedReport[]> {
    const db = await this.open();
    const items = (await db.getAll(STORE)) as QueuedReport[];
    return items.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  }

  async count(): Promise<number> {
    const db = await this.open();
    return db.count(STORE);
  }

  async state(): Promise<OutboxState> {
    const items = await this.list();
    const pending = items.filter((i) => !i.refused);
    const head = pending[0];
    const due = head ? dueAt(head) : 0;
    return {
      waiting: pending.length,
      refused: items.filter((i) => i.refused),
      nextAt: head && due > this.clock.now() ? due : null,
    };
  }

  /** Called with each report that got an answer (sent, or refused for good). */
  onOutcome(fn: (o: FlushOutcome) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called whenever what waits, or when the next try is, changed. */
  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private changed(): void {
    this.changeListeners.forEach((fn) => fn());
  }

  /**
   * Send what is due, oldest first. Never two flushes at once: a call while one runs gets the
   * running one. `force` (the connection came back, the app started) skips the backoff but
   * not a Retry-After. Stops at the first "later" answer: the rest waits behind it.
   */
  flush(force = false): Promise<FlushOutcome[]> {
    if (this.running) return this.running;
    this.running = this.doFlush(force).finally(() => {
      this.running = null;
      void this.arm();
    });
    return this.running;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** The time of the next automatic try, if a timer is set for one. */
  get scheduledAt(): number | null {
    return this.timerAt;
  }

  /** Stop the timer (tests, or a page that goes away). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  /** Set the timer for the next due try of the queue's head, if one waits. */
  async arm(): Promise<void> {
    const pending = (await this.list()).filter((i) => !i.refused);
    this.stop();
    if (!pending.length) return;
    const at = dueAt(pending[0]);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = null;
        if (this.canSend()) void this.flush();
      },
      Math.max(0, at - this.clock.now()),
    );
    this.changed();
  }

  private async doFlush(force: boolean): Promise<FlushOutcome[]> {
    const outcomes: FlushOutcome[] = [];
    const items = (await this.list()).filter((i) => !i.refused);
    const db = await this.open();
    for (const item of items) {
      const now = this.clock.now();
      if ((item.notBefore ?? 0) > now || (!force && (item.nextAt ?? 0) > now)) break;
      let outcome: FlushOutcome;
      try {
        const result = await this.send(item.fields, photoBlobs(item), item.key);
        outcome = { key: item.key, ok: true, result };
        await db.delete(STORE, item.id!);
      } catch (e) {
        if (isRetryable(e)) {
          // Offline again, the answer was lost, or the server asked to wait: keep it and the
          // rest behind it, and come back after the backoff.
          await db.put(STORE, this.afterFailure(item, e));
          this.changed();
          break;
        }
        if (!(e instanceof ApiError)) throw e;
        const refused: QueuedReport = {
          ...item,
          refused: { status: e.status, code: e.code, messages: e.messages, fields: e.fields },
        };
        await db.put(STORE, refused);
        outcome = { key: item.key, ok: false, error: e };
      }
      outcomes.push(outcome);
      this.changed();
      this.listeners.forEach((fn) => fn(outcome));
    }
    return outcomes;
  }
}

/** When a queued report may be tried next by the timer. */
function dueAt(item: QueuedReport): number {
  return Math.max(item.nextAt ?? 0, item.notBefore ?? 0);
}

/** An ApiError again from a stored refusal (to show it with the server's words). */
export function refusalError(r: Refusal): ApiError {
  return new ApiError(r.status, r.code, r.messages, r.fields);
}

/** A refused report opened again in the report flow, to be edited and resent. */
export interface Resume {
  /** Its place in the outbox: sending (or queuing) the edit replaces it there. */
  id: number;
  key: string;
  fields: ReportFields;
  photos: Blob[];
  /** Why the server refused it, shown on the step the citizen edits. */
  error: ApiError | null;
}

export function resumeOf(item: QueuedReport): Resume {
  return { id: item.id!, key: item.key, fields: item.fields, photos: photoBlobs(item), error: item.refused ? refusalError(item.refused) : null };
}

/**
 * The Idempotency-Key an edited report is sent with. A definitive refusal means the server
 * filed nothing under the key, so the edit goes under the same key, changed or not: should the
 * key have been filed after all, the server answers with that report (the same body) or says
 * the key is taken (`idempotency_mismatch`), and no second report appears. Only after that
 * answer is the edit a new submission with a new key.
 */
export function resumeKey(resume: Resume, current: string, fresh: () => string): string {
  return resume.error?.code === "idempotency_mismatch" && current === resume.key ? fresh() : current;
}
