import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError, getNearby, submitReport, type ReportFields } from "./api";

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

  it("asks for nearby reports with lat, lon, category and radius 50", async () => {
    const fetchMock = vi.fn(async () => json(200, { items: [] }));
    vi.stubGlobal("fetch", fetchMock);
    await getNearby(50.1, 8.7, "schlagloch");
    const url = new URL((fetchMock.mock.calls[0] as unknown as [string])[0], "http://x");
    expect(url.pathname).toBe("/api/v1/reports/nearby");
    expect(Object.fromEntries(url.searchParams)).toEqual({ lat: "50.1", lon: "8.7", category: "schlagloch", radius: "50" });
  });
});
