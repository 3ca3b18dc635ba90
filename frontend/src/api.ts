/** The JSON API client: one error shape (bilingual), network failures told apart from 4xx. */

import type { Bilingual, Lang } from "./i18n";

export interface Category {
  code: string;
  name: Bilingual;
  group: string;
  icon: string;
  sla_hours?: number;
  department?: { code: string; name: Bilingual };
}

export interface City {
  name: string;
  boundary: GeoJSON.Geometry | GeoJSON.Feature | GeoJSON.FeatureCollection;
  centre: { lat: number; lon: number };
  bbox: [number, number, number, number];
  tiles: { url: string; attribution: string };
}

export interface Photo {
  kind: string;
  url: string;
  thumbnail_url: string;
  width?: number;
  height?: number;
}

export interface Report {
  public_id: string;
  status: string;
  status_label?: Bilingual;
  category: { code: string; name: Bilingual; group?: string };
  department?: { code: string; name: Bilingual } | null;
  description: string | null;
  published?: boolean;
  supporters?: number;
  lat: number;
  lon: number;
  created_at?: string;
  deadline?: string | null;
  resolved_at?: string | null;
  address?: string | null;
  photos: Photo[];
  distance_m?: number;
}

export interface HistoryEntry {
  at: string;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
}

export interface Tracked extends Report {
  history: HistoryEntry[];
}

/** A report's public page: the public report, with its public history when the server sends it. */
export interface PublicReport extends Report {
  history?: HistoryEntry[];
}

export interface SubmitResult {
  report: Report;
  tracking_url: string;
  tracking_token: string;
}

/** The server answered with an error (the one JSON error shape). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    public messages: Bilingual,
    public fields: Record<string, Bilingual[]> = {},
    /** Seconds to wait before trying again (the Retry-After header of a 429 or 503). */
    public retryAfter: number | null = null,
  ) {
    super(messages.en || messages.de || code);
    this.name = "ApiError";
  }

  /** The message and every field message, in one language. */
  text(lang: Lang): string {
    const parts = [this.messages[lang] || this.messages.de];
    for (const [field, msgs] of Object.entries(this.fields)) {
      for (const m of msgs) parts.push(`${field}: ${m[lang] || m.de}`);
    }
    return parts.filter(Boolean).join(" ");
  }
}

/** The request never reached the server or no answer came back. */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super("network error");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

function asBilingual(value: unknown, fallback: string): Bilingual {
  if (typeof value === "string") return { de: value, en: value };
  if (value && typeof value === "object") {
    const v = value as Partial<Bilingual>;
    return { de: v.de ?? v.en ?? fallback, en: v.en ?? v.de ?? fallback };
  }
  return { de: fallback, en: fallback };
}

function flattenFields(value: unknown, prefix = ""): Record<string, Bilingual[]> {
  const out: Record<string, Bilingual[]> = {};
  if (!value || typeof value !== "object") return out;
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (Array.isArray(v)) out[key] = v.map((m) => asBilingual(m, String(m)));
    else if (v && typeof v === "object" && !("de" in v) && !("en" in v)) Object.assign(out, flattenFields(v, key));
    else out[key] = [asBilingual(v, String(v))];
  }
  return out;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** An ApiError from a non-2xx response, whatever its body. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  const fallback = `HTTP ${res.status}`;
  const retryAfter = parseRetryAfter(res.headers?.get("Retry-After") ?? null);
  if (!err) return new ApiError(res.status, "http_error", { de: `Fehler (${fallback})`, en: `Error (${fallback})` }, {}, retryAfter);
  return new ApiError(
    typeof err.status === "number" ? err.status : res.status,
    typeof err.code === "string" ? err.code : "error",
    asBilingual(err.message, fallback),
    flattenFields(err.fields),
    retryAfter,
  );
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: "same-origin", ...init, headers: { Accept: "application/json", ...(init.headers as Record<string, string>) } });
  } catch (e) {
    throw new NetworkError(e);
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  return request<T>(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

export const getCity = () => request<City>("/api/v1/city");
export const getCategories = () => request<Category[]>("/api/v1/categories");

/** What a map marker shows (the list's `view=map`); the details come from the report itself. */
export interface MapReport {
  public_id: string;
  status: string;
  category: string;
}

export function getReportsGeoJSON(bbox: [number, number, number, number], filter: { status?: string; category?: string } = {}) {
  const q = new URLSearchParams({ format: "geojson", view: "map", limit: "500", bbox: bbox.map((n) => n.toFixed(6)).join(",") });
  if (filter.status) q.set("status", filter.status);
  if (filter.category) q.set("category", filter.category);
  return request<GeoJSON.FeatureCollection<GeoJSON.Point, MapReport>>(`/api/v1/reports?${q}`);
}

export function getNearby(lat: number, lon: number, category: string, radius = 50) {
  const q = new URLSearchParams({ lat: String(lat), lon: String(lon), category, radius: String(radius) });
  return request<{ items: Report[] }>(`/api/v1/reports/nearby?${q}`);
}

export function supportReport(publicId: string, email: string | null, lang: Lang) {
  const body: Record<string, string> = { lang };
  if (email) body.email = email;
  return postJson<Report>(`/api/v1/reports/${encodeURIComponent(publicId)}/support`, body);
}

export const getReport = (publicId: string) => request<PublicReport>(`/api/v1/reports/${encodeURIComponent(publicId)}`);

/** The reasons a citizen can give when reporting abuse of a public report. */
export const ABUSE_REASONS = ["offensive", "personal_data", "spam", "wrong_place", "other"] as const;
export type AbuseReason = (typeof ABUSE_REASONS)[number];
export const ABUSE_COMMENT_MAX = 500;

export interface AbuseReceipt {
  received: boolean;
  message: Bilingual;
}

/** The body of an abuse report: the reason, and the comment only when there is one (trimmed, at most 500). */
export function abuseBody(reason: AbuseReason, comment: string): { reason: AbuseReason; comment?: string } {
  const c = comment.trim().slice(0, ABUSE_COMMENT_MAX);
  return c ? { reason, comment: c } : { reason };
}

/** Report abuse of a public report; the device id lets the server count one voice per phone. */
export function reportAbuse(publicId: string, reason: AbuseReason, comment: string) {
  return postJson<AbuseReceipt>(`/api/v1/reports/${encodeURIComponent(publicId)}/abuse`, abuseBody(reason, comment), { "X-Device-Id": deviceId() });
}

export interface Confirmation {
  public_id: string;
  published: boolean;
  /** A supporter's link: the address now hears about the report (no report was held). */
  following?: boolean;
  message: Bilingual;
}

/** Confirm a reporter's (or supporter's) e-mail address with the token from the mail. */
export const confirmEmail = (token: string) => postJson<Confirmation>("/api/v1/reports/confirm", { token });

export const getTracked = (token: string) => request<Tracked>(`/api/v1/track/${encodeURIComponent(token)}`);
export const confirmFixed = (token: string) => postJson<Tracked>(`/api/v1/track/${encodeURIComponent(token)}/confirm`, {});
export const reopenReport = (token: string, note: string) =>
  postJson<Tracked>(`/api/v1/track/${encodeURIComponent(token)}/reopen`, { note });

/** The text fields of a report as sent (multipart form fields). */
export interface ReportFields {
  category: string;
  lat: string;
  lon: string;
  description: string;
  email: string;
  notify: string;
  lang: string;
  /** The honeypot: a person never fills it in; sent as it is. */
  website?: string;
  /** Milliseconds from starting the flow to pressing send (measured once, kept on retries). */
  fill_ms?: string;
}

export function reportForm(fields: ReportFields, photos: Blob[]): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null) continue;
    // Empty optional fields are left out; the honeypot goes as it is, even empty.
    if (v !== "" || k === "website") form.append(k, v);
  }
  photos.forEach((p, i) => form.append("photos", p, `photo-${i + 1}.jpg`));
  return form;
}

/** File a report; the same key on every retry makes the server file it once. */
export function submitReport(fields: ReportFields, photos: Blob[], idempotencyKey: string): Promise<SubmitResult> {
  return request<SubmitResult>("/api/v1/reports", {
    method: "POST",
    headers: { "Idempotency-Key": idempotencyKey, "X-Device-Id": deviceId() },
    body: reportForm(fields, photos),
  });
}

/** An anonymous id of this device (kept in localStorage), so rate limits count per phone. */
export function deviceId(): string {
  try {
    let id = localStorage.getItem("mm-device");
    if (!id) {
      id = newKey();
      localStorage.setItem("mm-device", id);
    }
    return id;
  } catch {
    return "";
  }
}

/** A random UUID, also where crypto.randomUUID is missing (plain HTTP). */
export function newKey(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
