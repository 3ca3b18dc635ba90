/** The citizen app's API calls: reports, support, abuse, confirmation, tracking. */
import { request } from "../shared/api";
import type { Lang } from "../shared/i18n";
import type { AbuseReason, AbuseReceipt, Address, Confirmation, MapReport, NearbyReport, PublicReport, Report, SubmitResult, Tracked } from "../shared/types";

function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  return request<T>(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

export function getReportsGeoJSON(bbox: [number, number, number, number], filter: { status?: string; category?: string } = {}) {
  const q = new URLSearchParams({ format: "geojson", view: "map", limit: "500", bbox: bbox.map((n) => n.toFixed(6)).join(",") });
  if (filter.status) q.set("status", filter.status);
  if (filter.category) q.set("category", filter.category);
  return request<GeoJSON.FeatureCollection<GeoJSON.Point, MapReport>>(`/api/v1/reports?${q}`);
}

export function getNearby(lat: number, lon: number, category: string, radius = 50) {
  const q = new URLSearchParams({ lat: String(lat), lon: String(lon), category, radius: String(radius) });
  return request<{ items: NearbyReport[] }>(`/api/v1/reports/nearby?${q}`);
}

export function supportReport(publicId: string, email: string | null, lang: Lang) {
  const body: Record<string, string> = { lang };
  if (email) body.email = email;
  // The device id lets the server count one voice per phone (not one per shared address).
  return postJson<Report>(`/api/v1/reports/${encodeURIComponent(publicId)}/support`, body, { "X-Device-Id": deviceId() });
}

/** The address nearest to a point (within the lookup's reach), or null. */
export function reverseAddress(lat: number, lon: number, signal?: AbortSignal) {
  const q = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6) });
  return request<{ address: Address | null }>(`/api/v1/addresses/reverse?${q}`, { signal });
}

/** Addresses matching what the citizen typed, best first. */
export function searchAddresses(text: string, limit = 8, signal?: AbortSignal) {
  const q = new URLSearchParams({ q: text, limit: String(limit) });
  return request<{ items: Address[] }>(`/api/v1/addresses/search?${q}`, { signal });
}

export const getReport = (publicId: string) => request<PublicReport>(`/api/v1/reports/${encodeURIComponent(publicId)}`);

/** The reasons a citizen can give when reporting abuse of a public report. */
export const ABUSE_REASONS = ["offensive", "personal_data", "spam", "wrong_place", "other"] as const satisfies readonly AbuseReason[];
export const ABUSE_COMMENT_MAX = 500;

/** The body of an abuse report: the reason, and the comment only when there is one (trimmed, at most 500). */
export function abuseBody(reason: AbuseReason, comment: string): { reason: AbuseReason; comment?: string } {
  const c = comment.trim().slice(0, ABUSE_COMMENT_MAX);
  return c ? { reason, comment: c } : { reason };
}

/** Report abuse of a public report; the device id lets the server count one voice per phone. */
export function reportAbuse(publicId: string, reason: AbuseReason, comment: string) {
  return postJson<AbuseReceipt>(`/api/v1/reports/${encodeURIComponent(publicId)}/abuse`, abuseBody(reason, comment), { "X-Device-Id": deviceId() });
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
  /** The chosen place's street address (its label), when one is known. */
  address?: string;
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
