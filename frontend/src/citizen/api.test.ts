import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError, parseRetryAfter } from "../shared/api";
import { abuseBody, confirmEmail, deviceId, getNearby, getReportsGeoJSON, reportAbuse, reportForm, submitReport, supportReport, type ReportFields } from "./api";

const fields: ReportFields = { category: "schlagloch", lat: "50.1", lon: "8.76", description: "Tief", email: "", notify: "false", lang: "de" };

afterEach(() => vi.unstubAllGlobals());

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("api client", () => {
  it("sends the report as multipart with the Idempotency-Key header", async () => {
    const fetchMock = vi.fn(async () => json(201, { report: { public_id: "M-1" }, tracking_url: "http://x/track/t", tracking_token: "t" }));
    vi.stubGlobal("fetch", fetchMock);
    const res = await submitReport(fields, [new Blob(["x"], { type: "image/jpeg" })], "key-123");
    expect(res.report.public_id).toBe("M-1");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports");
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>)["Idempotency-Key"]).toBe("key-123");
    // The same anonymous device id on every report, for per-device rate limits.
    const device = (init.headers as Record<string, string>)["X-Device-Id"];
    expect(device).toMatch(/^[0-9a-f-]{36}$/);
    await submitReport(fields, [], "key-124");
    const second = fetchMock.mock.calls[1] as unknown as [string, RequestInit];
    expect((second[1].headers as Record<string, string>)["X-Device-Id"]).toBe(device);
    const body = init.body as FormData;
    expect(body.get("category")).toBe("schlagloch");
    expect(body.get("email")).toBeNull(); // empty optional fields are left out
    expect(body.getAll("photos")).toHaveLength(1);
  });

  it("parses the error body into a bilingual message with field messages", async () => {
    vi.stubGlobal("fetch", vi.fn(async () =>
      json(422, {
        error: {
          status: 422,
          code: "validation_failed",
          message: { de: "Die Eingaben sind ungültig.", en: "The input is invalid." },
          fields: { lat: [{ de: "Muss zwischen -90 und 90 liegen.", en: "Must be between -90 and 90." }] },
        },
      }),
    ));
    const err = await submitReport(fields, [], "k").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe("validation_failed");
    expect(err.text("de")).toBe("Die Eingaben sind ungültig. lat: Muss zwischen -90 und 90 liegen.");
    expect(err.text("en")).toBe("The input is invalid. lat: Must be between -90 and 90.");
  });

  it("copes with an error body that is not JSON", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502 })));
    const err = await getNearby(1, 2, "x").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(502);
    expect(err.text("de")).toContain("502");
  });

  it("tells a network failure apart from an HTTP error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => { throw new TypeError("Failed to fetch"); }));
    await expect(submitReport(fields, [], "k")).rejects.toBeInstanceOf(NetworkError);
  });

  it("supports a report from its page as this device, so the server counts one voice per phone", async () => {
    const fetchMock = vi.fn(async () => json(200, { public_id: "2026-000001", supporters: 2 }));
    vi.stubGlobal("fetch", fetchMock);
    await supportReport("2026-000001", null, "de");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports/2026-000001/support");
    expect((init.headers as Record<string, string>)["X-Device-Id"]).toBe(deviceId());
    expect(JSON.parse(init.body as string)).toEqual({ lang: "de" });
  });

  it("asks for nearby reports with lat, lon, category and radius 50", async () => {
    const fetchMock = vi.fn(async () => json(200, { items: [] }));
    vi.stubGlobal("fetch", fetchMock);
    await getNearby(50.1, 8.7, "schlagloch");
    const url = new URL((fetchMock.mock.calls[0] as unknown as [string])[0], "http://x");
    expect(url.pathname).toBe("/api/v1/reports/nearby");
    expect(Object.fromEntries(url.searchParams)).toEqual({ lat: "50.1", lon: "8.7", category: "schlagloch", radius: "50" });
  });

  it("asks the map for the lean marker view of the viewport, with the filters", async () => {
    const fetchMock = vi.fn(async () => json(200, { type: "FeatureCollection", features: [] }));
    vi.stubGlobal("fetch", fetchMock);
    await getReportsGeoJSON([8.7, 50.05, 8.85, 50.15], { status: "new", category: "graffiti" });
    const url = new URL((fetchMock.mock.calls[0] as unknown as [string])[0], "http://x");
    expect(url.pathname).toBe("/api/v1/reports");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      format: "geojson",
      view: "map",
      limit: "500",
      bbox: "8.700000,50.050000,8.850000,50.150000",
      status: "new",
      category: "graffiti",
    });
  });

  it("sends the honeypot as it is, even empty, and fill_ms", async () => {
    const fetchMock = vi.fn(async () => json(201, { report: { public_id: "M-1" }, tracking_url: "/track/t", tracking_token: "t" }));
    vi.stubGlobal("fetch", fetchMock);
    await submitReport({ ...fields, website: "", fill_ms: "8123" }, [], "k");
    const body = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body as FormData;
    expect(body.has("website")).toBe(true);
    expect(body.get("website")).toBe("");
    expect(body.get("fill_ms")).toBe("8123");
    const filled = reportForm({ ...fields, website: "http://spam.example", fill_ms: "40" }, []);
    expect(filled.get("website")).toBe("http://spam.example");
    // an entry queued before these fields existed still goes out, without them
    const old = reportForm(fields, []);
    expect(old.has("website")).toBe(false);
    expect(old.has("fill_ms")).toBe(false);
  });

  it("keeps the server's too_fast message in both languages", async () => {
    vi.stubGlobal("fetch", vi.fn(async () =>
      json(422, { error: { status: 422, code: "too_fast", message: { de: "Das ging zu schnell.", en: "That was too fast." } } }),
    ));
    const err = await submitReport(fields, [], "k").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("too_fast");
    expect(err.text("de")).toBe("Das ging zu schnell.");
    expect(err.text("en")).toBe("That was too fast.");
  });

  it("builds the abuse report: the reason, a trimmed comment only when given, the device id", async () => {
    expect(abuseBody("spam", "")).toEqual({ reason: "spam" });
    expect(abuseBody("spam", "   ")).toEqual({ reason: "spam" });
    expect(abuseBody("offensive", "  Beleidigung im Text \n")).toEqual({ reason: "offensive", comment: "Beleidigung im Text" });
    expect(abuseBody("other", "x".repeat(600)).comment).toHaveLength(500);

    const fetchMock = vi.fn(async () => json(202, { received: true, message: { de: "Danke.", en: "Thanks." } }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await reportAbuse("2026-000007", "personal_data", "Kennzeichen lesbar");
    expect(r.message.de).toBe("Danke.");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports/2026-000007/abuse");
    expect(init.method).toBe("POST");
    const headers = init.headers as Record<string, string>;
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers["X-Device-Id"]).toBe(deviceId());
    expect(JSON.parse(init.body as string)).toEqual({ reason: "personal_data", comment: "Kennzeichen lesbar" });
  });

  it("reads Retry-After of a 429 (seconds or a date)", async () => {
    vi.stubGlobal("fetch", vi.fn(async () =>
      new Response(JSON.stringify({ error: { status: 429, code: "rate_limited", message: { de: "Zu viele", en: "Too many" } } }), {
        status: 429,
        headers: { "Content-Type": "application/json", "Retry-After": "90" },
      }),
    ));
    const err = await reportAbuse("X", "spam", "").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(90);
    expect(parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", Date.parse("Wed, 21 Oct 2026 07:28:00 GMT"))).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it("confirms with the token from the mail", async () => {
    const fetchMock = vi.fn(async () => json(200, { public_id: "2026-000001", published: true, message: { de: "Bestätigt", en: "Confirmed" } }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await confirmEmail("tok-1");
    expect(r.published).toBe(true);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports/confirm");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body as string)).toEqual({ token: "tok-1" });
  });
});
