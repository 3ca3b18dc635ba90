import { afterEach, describe, expect, it, vi } from "vitest";
import type { StaffSession } from "../shared/types";
import { csrf, endSession, logoutEverywhere, mySessions, setCsrf } from "./api";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
});

function json(status: number, body: unknown): Response {
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

const phone: StaffSession = {
  id: 7,
  created_at: "2026-03-10T08:00:00Z",
  last_seen_at: "2026-03-10T09:00:00Z",
  expires_at: "2026-03-10T11:00:00Z",
  device: "Chrome, Android",
  network: "198.51.100.0/24",
  current: false,
};

describe("own sessions", () => {
  it("lists them and ends another one with the CSRF token, staying logged in", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn().mockResolvedValueOnce(json(200, { items: [phone] })).mockResolvedValueOnce(json(204, null));
    vi.stubGlobal("fetch", fetchMock);
    expect(await mySessions()).toEqual([phone]);
    await endSession(phone);
    const [url, init] = fetchMock.mock.calls[1] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/auth/sessions/7");
    expect(init.method).toBe("DELETE");
    expect((init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("tok");
    expect(csrf()).toBe("tok");
  });

  it("forgets the CSRF token when the current session ends", async () => {
    setCsrf("tok");
    vi.stubGlobal("fetch", vi.fn(async () => json(204, null)));
    await endSession({ ...phone, current: true });
    expect(csrf()).toBeNull();
  });

  it("logs out everywhere and forgets the CSRF token", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async () => json(200, { ended: 3 }));
    vi.stubGlobal("fetch", fetchMock);
    expect(await logoutEverywhere()).toBe(3);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/auth/logout-everywhere");
    expect(init.method).toBe("POST");
    expect(csrf()).toBeNull();
  });
});
