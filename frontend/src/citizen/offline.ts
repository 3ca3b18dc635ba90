/**
 * The last answers the app needs to report without a connection — the city, the categories and
 * the home map's last view — kept in IndexedDB by the app itself.
 *
 * Kept by the app rather than the service worker: the app stores them from the first visit
 * (the first page load runs before a new service worker controls it, so the worker would not
 * see those requests), it decides what an answer is worth keeping and when a stale one is
 * better than an error, and no URL pattern in the worker can ever catch an answer with a token
 * or personal data in it. Only public answers go in here, each under one name: the last one.
 */
import { openDB, type IDBPDatabase } from "idb";
import { ApiError, NetworkError } from "../shared/api";

const STORE = "answers";
let db: Promise<IDBPDatabase> | null = null;

function open(): Promise<IDBPDatabase> {
  db ??= openDB("maengelmelder-offline", 1, {
    upgrade(d) {
      d.createObjectStore(STORE);
    },
  });
  return db;
}

/** Keep `value` as the last answer named `name` (a failure to store changes nothing). */
export async function remember(name: string, value: unknown): Promise<void> {
  try {
    await (await open()).put(STORE, value, name);
  } catch {
    /* private mode, quota: the app works online as before */
  }
}

/** The last answer named `name`, if one was kept. */
export async function recall<T>(name: string): Promise<T | undefined> {
  try {
    return (await (await open()).get(STORE, name)) as T | undefined;
  } catch {
    return undefined;
  }
}

/** Whether an error means the server could not be reached (or could not answer) right now. */
export function isUnreachable(e: unknown): boolean {
  return e instanceof NetworkError || e instanceof TypeError || (e instanceof ApiError && e.status >= 500);
}

/** Network first: the fresh answer (kept), or the kept one when the server cannot be reached. */
export async function networkFirst<T>(name: string, fetcher: () => Promise<T>): Promise<T> {
  try {
    const value = await fetcher();
    void remember(name, value);
    return value;
  } catch (e) {
    if (!isUnreachable(e)) throw e;
    const kept = await recall<T>(name);
    if (kept === undefined) throw e;
    return kept;
  }
}
