/**
 * The outbox: reports that could not be sent (offline, network failure, 5xx) wait in
 * IndexedDB with their photos and their Idempotency-Key, and are sent in order, one at a
 * time, with that same key, so the server files each exactly once.
 */

import { openDB, type IDBPDatabase } from "idb";
import { ApiError, NetworkError } from "../shared/api";
import type { SubmitResult } from "../shared/types";
import { submitReport, type ReportFields } from "./api";

export interface StoredPhoto {
  type: string;
  data: ArrayBuffer;
}

export interface QueuedReport {
  id?: number;
  key: string;
  fields: ReportFields;
  photos: StoredPhoto[];
  queuedAt: number;
}

export type FlushOutcome =
  | { key: string; ok: true; result: SubmitResult }
  | { key: string; ok: false; error: ApiError };

export type Sender = (fields: ReportFields, photos: Blob[], key: string) => Promise<SubmitResult>;

const STORE = "outbox";

async function toStored(blob: Blob): Promise<StoredPhoto> {
  // ArrayBuffers clone into IndexedDB everywhere (Blobs did not on every browser).
  const data = typeof blob.arrayBuffer === "function" ? await blob.arrayBuffer() : await new Response(blob).arrayBuffer();
  return { type: blob.type || "image/jpeg", data };
}

export class Outbox {
  private db: Promise<IDBPDatabase> | null = null;
  private running: Promise<FlushOutcome[]> | null = null;
  private listeners = new Set<(o: FlushOutcome) => void>();

  constructor(
    private dbName = "maengelmelder",
    private send: Sender = submitReport,
  ) {}

  private open(): Promise<IDBPDatabase> {
    this.db ??= openDB(this.dbName, 1, {
      upgrade(db) {
        db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      },
    });
    return this.db;
  }

  /** Keep a report for later; its key goes with it. */
  async add(key: string, fields: ReportFields, photos: Blob[]): Promise<number> {
    const stored = await Promise.all(photos.map(toStored));
    const db = await this.open();
    const item: QueuedReport = { key, fields, photos: stored, queuedAt: Date.now() };
    return (await db.add(STORE, item)) as number;
  }

  async list(): Promise<QueuedReport[]> {
    const db = await this.open();
    return (await db.getAll(STORE)) as QueuedReport[];
  }

  async count(): Promise<number> {
    const db = await this.open();
    return db.count(STORE);
  }

  /** Called with each report that got an answer (sent, or rejected with a 4xx). */
  onOutcome(fn: (o: FlushOutcome) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Send what waits, oldest first. Never two flushes at once: a call while one runs gets
   * the running one. Stops at the first network error or 5xx (the rest waits for the next
   * try); an item is removed only after a 2xx or 4xx answer.
   */
  flush(): Promise<FlushOutcome[]> {
    if (this.running) return this.running;
    this.running = this.doFlush().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  private async doFlush(): Promise<FlushOutcome[]> {
    const outcomes: FlushOutcome[] = [];
    const items = await this.list();
    items.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    const db = await this.open();
    for (const item of items) {
      const photos = item.photos.map((p) => new Blob([p.data], { type: p.type }));
      let outcome: FlushOutcome;
      try {
        const result = await this.send(item.fields, photos, item.key);
        outcome = { key: item.key, ok: true, result };
      } catch (e) {
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
          outcome = { key: item.key, ok: false, error: e };
        } else if (e instanceof NetworkError || e instanceof ApiError || e instanceof TypeError) {
          break; // offline again or the server is down: keep it and the rest for later
        } else {
          throw e;
        }
      }
      await db.delete(STORE, item.id!);
      outcomes.push(outcome);
      this.listeners.forEach((fn) => fn(outcome));
    }
    return outcomes;
  }
}

/** Whether an error means "try later" (queue it) rather than "the input is wrong". */
export function isRetryable(e: unknown): boolean {
  return e instanceof NetworkError || (e instanceof ApiError && e.status >= 500);
}
