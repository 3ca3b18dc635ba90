/** The JSON API client both apps share: one error shape (bilingual), network failures told apart from 4xx. */
import type { Bilingual, Lang } from "./i18n";
import type { Category, City } from "./types";

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
  try {
    return (await res.json()) as T;
  } catch (e) {
    // The connection broke (or the body was cut) after the status line: the answer was lost,
    // which is a network failure to the caller, not an answer.
    throw new NetworkError(e);
  }
}

export const getCity = () => request<City>("/api/v1/city");
export const getCategories = () => request<Category[]>("/api/v1/categories");
