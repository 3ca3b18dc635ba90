import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, ConflictError, call, changeTicket, exportUrl, optional, setCsrf, transition, get } from "./api";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

const stale = { error: { status: 412, code: "version_stale", message: { de: "Veraltet", en: "Stale" } } };

describe("staff api client", () => {
  it("sends If-Match with the ETag and the CSRF token on a change", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async () => json(200, { public_id: "2026-000001", version: 3, status: "acknowledged" }, { ETag: '"3"' }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await transition("2026-000001", '"2"', { to: "acknowledged" });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/tickets/2026-000001/transition");
    expect(init.method).toBe("POST");
    const headers = init.headers as Record<string, string>;
    expect(headers["If-Match"]).toBe('"2"');
    expect(headers["X-CSRF-Token"]).toBe("tok");
    expect(JSON.parse(init.body as string)).toEqual({ to: "acknowledged" });
    expect(r).toMatchObject({ etag: '"3"', conflict: false });
  });

  it("on 412 reloads the ticket and reports a conflict instead of overwriting", async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(json(412, stale))
      .mockResolvedValueOnce(json(200, { public_id: "2026-000001", version: 5, status: "in_progress" }, { ETag: '"5"' }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await changeTicket("2026-000001", "assign", { assignee_id: 1 }, '"4"');
    expect(r.conflict).toBe(true);
    expect(r.etag).toBe('"5"');
    expect(r.ticket.status).toBe("in_progress");
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const [url2, init2] = fetchMock.mock.calls[1] as unknown as [string, RequestInit];
    expect(url2).toBe("/api/v1/tickets/2026-000001");
    expect(init2.method).toBe("GET");
    expect((init2.headers as Record<string, string>)["If-Match"]).toBeUndefined();
  });

  it("raises ConflictError (an ApiError with status 412) from a raw call", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(412, stale)));
    const err = await call("/api/v1/tickets/x/forward", { json: {}, ifMatch: '"1"' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(412);
  });

  it("uses the version as ETag when the header is missing", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(200, { public_id: "a", version: 7 })));
    const r = await changeTicket("a", "forward", { department: "gruen", reason: "x" }, '"6"');
    expect(r.etag).toBe('"7"');
  });

  it("sends no CSRF header on GET", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async () => json(200, { items: [] }));
    vi.stubGlobal("fetch", fetchMock);
    await get("/api/v1/tickets", { status: "new", sla: "" });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/tickets?status=new");
    expect((init.headers as Record<string, string>)["X-CSRF-Token"]).toBeUndefined();
  });

  it("treats an endpoint that does not exist yet (404) as null", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(404, { error: { status: 404, code: "not_found", message: { de: "x", en: "x" } } })));
    expect(await optional(get("/api/v1/sla/trend"))).toBeNull();
    vi.stubGlobal("fetch", vi.fn(async () => json(403, { error: { status: 403, code: "forbidden", message: { de: "x", en: "x" } } })));
    await expect(optional(get("/api/v1/sla/trend"))).rejects.toBeInstanceOf(ApiError);
  });

  it("builds export links with the current filter", () => {
    expect(exportUrl({ department: "tiefbau", sla: "breached", limit: 50 }, "csv")).toBe("/api/v1/tickets?department=tiefbau&sla=breached&format=csv");
  });
});
