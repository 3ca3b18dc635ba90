/** The staff API client: session cookie + CSRF header, If-Match on ticket changes, 412 told apart. */
import { ApiError, NetworkError, errorFrom } from "../shared/api";
import type { Bilingual } from "../shared/i18n";
import type { BlockEntry, BlockPage, FailedMail, FailedMailPage, Login, LoginThrottle, LoginThrottlePage, Me, OidcLogout, SessionsEnded, SignInOptions, StaffSession, Ticket, TicketFull, TicketQueue } from "../shared/types";

export { ApiError, NetworkError };

/** 412: someone else changed the ticket since we loaded it. */
export class ConflictError extends ApiError {
  constructor(base: ApiError) {
    super(412, base.code || "version_stale", base.messages, base.fields);
    this.name = "ConflictError";
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrf(token: string | null | undefined): void {
  csrfToken = token ?? null;
}
export function csrf(): string | null {
  return csrfToken;
}
/** Called on a 401 answer to a call made while logged in (the session ended). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  form?: FormData;
  ifMatch?: string | null;
  query?: Record<string, string | number | undefined | null>;
  /** Do not report a 401 to the session handler (login, me). */
  quiet401?: boolean;
}

export interface Answer<T> {
  data: T;
  etag: string | null;
  status: number;
  /** The cursor of the next page, from the `Link: <…>; rel="next"` header; null on the last. */
  next: string | null;
}

/** The cursor in a `Link` header's rel="next" URL (the URL's host may be the server's BASE_URL). */
export function nextCursor(link: string | null): string | null {
  const url = /<([^>]*)>\s*;\s*rel="next"/.exec(link ?? "")?.[1];
  if (!url) return null;
  try {
    return new URL(url, "http://x").searchParams.get("cursor");
  } catch {
    return null;
  }
}

export function withQuery(path: string, query?: CallOptions["query"]): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes("?") ? "&" : "?"}${s}` : path;
}

/** One call: JSON or multipart body, CSRF header on unsafe methods, If-Match when given. */
export async function call<T>(path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  const method = (opts.method ?? (opts.json !== undefined || opts.form ? "POST" : "GET")).toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json" };
  if (!["GET", "HEAD", "OPTIONS"].includes(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  if (opts.ifMatch) headers["If-Match"] = opts.ifMatch;
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), { method, headers, body, credentials: "same-origin" });
  } catch (e) {
    throw new NetworkError(e);
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 412) throw new ConflictError(err);
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw err;
  }
  const etag = res.headers.get("ETag");
  let data: unknown = null;
  if (res.status !== 204) {
    const text = await res.text();
    data = text ? JSON.parse(text) : null;
  }
  return { data: data as T, etag, status: res.status, next: nextCursor(res.headers.get("Link")) };
}

/** Every page of a list that names its next page in the Link header (a short list: accounts). */
export async function allPages<T>(path: string, query: CallOptions["query"] = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const r: Answer<unknown> = await call<unknown>(path, { query: { ...query, cursor } });
    out.push(...items<T>(r.data));
    cursor = r.next;
  } while (cursor);
  return out;
}

export async function get<T>(path: string, query?: CallOptions["query"]): Promise<T> {
  return (await call<T>(path, { query })).data;
}

export async function send<T>(path: string, json: unknown, method = "POST"): Promise<T> {
  return (await call<T>(path, { method, json })).data;
}

/** An endpoint that may not exist yet on this server: null on 404/405 instead of an error. */
export async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

/** A list from an answer that is a bare array or {items: [...]}. */
export function items<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  const list = (data as { items?: unknown } | null)?.items;
  return Array.isArray(list) ? (list as T[]) : [];
}

// -- session -----------------------------------------------------------------------------

export async function me(): Promise<Me | null> {
  try {
    const m = (await call<Me>("/api/v1/auth/me", { quiet401: true })).data;
    setCsrf(m.csrf_token);
    return m;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(email: string, password: string): Promise<Me> {
  const r = (await call<Login>("/api/v1/auth/login", { json: { email, password }, quiet401: true })).data;
  setCsrf(r.csrf_token);
  return { kind: "user", role: r.user.role, name: r.user.name, user: r.user, csrf_token: r.csrf_token };
}

/** Where "Mit Dienstkonto anmelden" goes: the app sends the browser on to the provider. */
export const OIDC_LOGIN_URL = "/api/v1/auth/oidc/login";

/** What the login page offers: the work account (OpenID Connect) and passwords. */
export async function signInOptions(): Promise<SignInOptions> {
  return (await call<SignInOptions>("/api/v1/auth/sign-in-options", { quiet401: true })).data;
}

/** Log out of a work-account session; where to sign out at the provider too (or null). */
export async function oidcLogout(): Promise<string | null> {
  try {
    return (await call<OidcLogout>("/api/v1/auth/oidc/logout", { method: "POST", quiet401: true })).data.end_session_url;
  } finally {
    setCsrf(null);
  }
}

export async function logout(): Promise<void> {
  try {
    await call("/api/v1/auth/logout", { method: "POST", quiet401: true });
  } finally {
    setCsrf(null);
  }
}

// -- sessions ----------------------------------------------------------------------------

export async function mySessions(): Promise<StaffSession[]> {
  return items<StaffSession>(await get<unknown>("/api/v1/auth/sessions"));
}

/** End one of one's own sessions; ending the current one is logging out. */
export async function endSession(s: StaffSession): Promise<void> {
  await call(`/api/v1/auth/sessions/${encodeURIComponent(String(s.id))}`, { method: "DELETE", quiet401: true });
  if (s.current) setCsrf(null);
}

/** End every session of one's account, this one included; how many ended. */
export async function logoutEverywhere(): Promise<number> {
  try {
    return (await send<SessionsEnded>("/api/v1/auth/logout-everywhere", {})).ended;
  } finally {
    setCsrf(null);
  }
}

export async function loginThrottles(cursor?: string | null): Promise<{ items: LoginThrottle[]; next: string | null }> {
  const data = await get<LoginThrottlePage>("/api/v1/admin/login-throttles", { limit: 50, cursor });
  return { items: items<LoginThrottle>(data), next: data.next_cursor ?? null };
}

export async function liftThrottle(id: number): Promise<void> {
  await call(`/api/v1/admin/login-throttles/${encodeURIComponent(String(id))}`, { method: "DELETE" });
}

/** An admin ends every session of an account; how many ended. */
export async function endUserSessions(userId: number): Promise<number> {
  return (await call<SessionsEnded>(`/api/v1/admin/users/${encodeURIComponent(String(userId))}/sessions`, { method: "DELETE" })).data.ended;
}

// -- tickets -----------------------------------------------------------------------------

export interface Versioned {
  ticket: TicketFull;
  etag: string;
}

/** The ETag of a ticket we only know from a list (its version). */
export function etagOf(t: { version: number }): string {
  return `"${t.version}"`;
}

const ticketPath = (id: string) => `/api/v1/tickets/${encodeURIComponent(id)}`;

export async function getTicket(id: string): Promise<Versioned> {
  const r = await call<TicketFull>(ticketPath(id));
  return { ticket: r.data, etag: r.etag ?? etagOf(r.data) };
}

export interface ChangeResult extends Versioned {
  /** true: our change was refused (412) and `ticket` is the newer state, reloaded. */
  conflict: boolean;
}

/**
 * A versioned change to a ticket (always with If-Match). On 412 the ticket is reloaded
 * and returned with conflict = true, so the caller shows it and never overwrites silently.
 */
export async function changeTicket(id: string, action: string, body: unknown, etag: string): Promise<ChangeResult> {
  try {
    const r = await call<TicketFull>(`${ticketPath(id)}/${action}`, { json: body, ifMatch: etag });
    return { ticket: r.data, etag: r.etag ?? etagOf(r.data), conflict: false };
  } catch (e) {
    if (e instanceof ConflictError) {
      const fresh = await getTicket(id);
      return { ...fresh, conflict: true };
    }
    throw e;
  }
}

export const transition = (id: string, etag: string, body: { to: string; public_note?: string | null; internal_note?: string | null; duplicate_of?: string | null }) =>
  changeTicket(id, "transition", body, etag);
export const assign = (id: string, etag: string, assigneeId: number | null) => changeTicket(id, "assign", { assignee_id: assigneeId }, etag);
export const forward = (id: string, etag: string, department: string, reason: string) => changeTicket(id, "forward", { department, reason }, etag);
export const publication = (id: string, etag: string, body: { action: "publish" | "hide"; public_description?: string | null; photo_ids?: number[] | null }) =>
  changeTicket(id, "publication", body, etag);

/**
 * Resolve a report's abuse flags (and republish it if it was hidden for abuse), with If-Match.
 * Should the answer not be the ticket, the ticket is loaded.
 */
export async function dismissAbuse(id: string, etag: string): Promise<ChangeResult> {
  const r = await changeTicket(id, "abuse/dismiss", {}, etag);
  if (r.ticket && typeof r.ticket.public_id === "string") return r;
  return { ...(await getTicket(id)), conflict: r.conflict };
}

export async function addNote(id: string, publicNote: string | null, internalNote: string | null): Promise<Versioned> {
  const r = await call<TicketFull>(`${ticketPath(id)}/notes`, { json: { public_note: publicNote, internal_note: internalNote } });
  return { ticket: r.data, etag: r.etag ?? etagOf(r.data) };
}

export async function addPhotos(id: string, photos: Blob[]): Promise<Versioned> {
  const form = new FormData();
  photos.forEach((p, i) => form.append("photos", p, `after-${i + 1}.jpg`));
  const r = await call<TicketFull>(`${ticketPath(id)}/photos`, { form });
  return { ticket: r.data, etag: r.etag ?? etagOf(r.data) };
}

/** The ticket after a change to one of its photos: the answer when it is the ticket, else loaded. */
async function afterPhotoChange(id: string, r: Answer<unknown>): Promise<Versioned> {
  const t = r.data as TicketFull | null;
  if (t && typeof t.public_id === "string" && Array.isArray(t.photos)) return { ticket: t, etag: r.etag ?? etagOf(t) };
  return getTicket(id);
}

/**
 * Black out rectangles on a photo; on a photo with an unblurred original also drop the named
 * boxes (`remove`) and render the public version anew. Without `remove` the body is as before.
 */
export async function redact(id: string, photoId: number, rects: number[][], remove: number[] = []): Promise<Versioned> {
  const body = remove.length ? { rects, remove } : { rects };
  return afterPhotoChange(id, await call<unknown>(`${ticketPath(id)}/photos/${photoId}/redact`, { json: body }));
}

/** Run the privacy pass on a photo again (it is pending until the worker ran it). */
export async function privacyPass(id: string, photoId: number): Promise<Versioned> {
  return afterPhotoChange(id, await call<unknown>(`${ticketPath(id)}/photos/${photoId}/privacy-pass`, { method: "POST" }));
}

export interface QueueFilter {
  status?: string;
  assignee?: string;
  sla?: string;
  category?: string;
  department?: string;
  zone?: string;
  published?: string;
  flagged?: string;
  limit?: number;
  /** `next` of the page before: the page after it. */
  cursor?: string | null;
}

/** A page of the queue: its tickets, the count (`capped`: more than `total` match), the next. */
export interface TicketPage {
  items: Ticket[];
  total: number;
  capped: boolean;
  next: string | null;
}

export async function listTickets(f: QueueFilter): Promise<TicketPage> {
  const data = await get<TicketQueue>("/api/v1/tickets", { ...f });
  const list = items<Ticket>(data);
  return { items: list, total: data.total ?? list.length, capped: data.total_capped ?? false, next: data.next_cursor ?? null };
}

/** The download link of the queue with the same filter (format csv or geojson), from its start. */
export function exportUrl(f: QueueFilter, format: "csv" | "geojson"): string {
  return withQuery("/api/v1/tickets", { ...f, limit: undefined, cursor: undefined, format });
}

// -- departments (admin list when allowed, else what the categories name) ----------------

/** Accept {name: {de, en}} or {name_de, name_en}. */
export function normName(o: Record<string, unknown>): Bilingual {
  const n = o.name as Bilingual | string | undefined;
  if (n && typeof n === "object") return { de: n.de ?? n.en ?? "", en: n.en ?? n.de ?? "" };
  const de = (o.name_de as string | undefined) ?? (typeof n === "string" ? n : "") ?? "";
  const en = (o.name_en as string | undefined) ?? de;
  return { de: de || String(o.code ?? ""), en: en || de || String(o.code ?? "") };
}

// -- block list (admins) ------------------------------------------------------------------

const BLOCKLIST = "/api/v1/admin/blocklist";

/** The whole block list, page by page (admins keep it short; each page is at most 1,000). */
export async function listBlocklist(): Promise<BlockEntry[]> {
  const out: BlockEntry[] = [];
  let cursor: string | null = null;
  do {
    const data: BlockPage = await get(BLOCKLIST, { cursor });
    out.push(...items<BlockEntry>(data));
    cursor = data.next_cursor ?? null;
  } while (cursor);
  return out;
}

/** Add a pattern; the reason only when given. 409: already listed; 4xx: malformed. */
export function addBlock(pattern: string, reason: string): Promise<BlockEntry> {
  const body: Record<string, string> = { pattern: pattern.trim() };
  if (reason.trim()) body.reason = reason.trim();
  return send<BlockEntry>(BLOCKLIST, body);
}

export async function removeBlock(id: number): Promise<void> {
  await call(`${BLOCKLIST}/${encodeURIComponent(String(id))}`, { method: "DELETE" });
}

// -- undeliverable mails (admins) ----------------------------------------------------------

/** A page of undeliverable mails, newest first. */
export async function listFailedMails(cursor?: string | null): Promise<{ items: FailedMail[]; next: string | null }> {
  const data = await get<FailedMailPage>("/api/v1/admin/mails/failed", { limit: 100, cursor });
  return { items: items<FailedMail>(data), next: data.next_cursor ?? null };
}

/** Queue an undeliverable mail again; 404 when it is no longer undeliverable. */
export async function retryMail(id: number): Promise<void> {
  await send(`/api/v1/admin/mails/${encodeURIComponent(String(id))}/retry`, {});
}
