// @vitest-environment node
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError, errorFrom, parseRetryAfter } from "../shared/api";
import type { SubmitResult } from "../shared/types";
import type { ReportFields } from "./api";
import { BACKOFF, Outbox, isDefinitive, isRetryable, resumeKey, resumeOf, retryDelay, type Clock, type OutboxOptions, type Sender } from "./queue";

const fields = (d: string): ReportFields => ({ category: "schlagloch", lat: "50.1", lon: "8.76", description: d, email: "", notify: "false", lang: "de" });
const ok = (id: string): SubmitResult => ({ report: { public_id: id } as SubmitResult["report"], tracking_url: `/track/${id}`, tracking_token: id });
const apiError = (status: number, retryAfter: number | null = null, code = "x") => new ApiError(status, code, { de: "Nachricht", en: "Message" }, {}, retryAfter);
const offline = () => new NetworkError(new TypeError("Failed to fetch"));
let n = 0;
const dbName = () => `test-outbox-${++n}`;

/** A clock whose time moves only when told; its timers run when their time has come. */
class FakeClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  constructor(public time = 1_700_000_000_000) {}
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.seq, { at: this.time + ms, fn });
    return this.seq;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  /** When the next timer is due, if one is set. */
  get next(): number | null {
    const ats = [...this.timers.values()].map((t) => t.at);
    return ats.length ? Math.min(...ats) : null;
  }
  /** Move time on by `ms`, running every timer that falls due. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.timers]) {
      if (t.at <= this.time) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

/** An outbox on a fake clock; `random` fixed at the middle unless given. */
function outbox(send: Sender, options: OutboxOptions = {}) {
  const clock = new FakeClock();
  const box = new Outbox(dbName(), send, { clock, random: () => 0.5, ...options });
  return { box, clock };
}

/** Let the flush that a timer started (and the IndexedDB work after it) finish. */
async function settle(box: Outbox): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (!box.busy) await box.arm().catch(() => undefined);
  }
}

describe("offline outbox", () => {
  it("sends exactly once with the stored key: network error first, then the timer's retry", async () => {
    const send = vi.fn().mockRejectedValueOnce(offline()).mockResolvedValueOnce(ok("M-1"));
    const { box, clock } = outbox(send);
    await box.add("key-A", fields("a"), [new Blob([new Uint8Array([1, 2, 3])], { type: "image/jpeg" })]);

    expect(await box.flush()).toEqual([]);
    expect(await box.count()).toBe(1); // kept after the network error
    const [item] = await box.list();
    expect(item.attempts).toBe(1);
    await settle(box);
    // The first wait: the base backoff with equal jitter (random 0.5 → three quarters of it).
    expect(clock.next).toBe(clock.time + BACKOFF.baseMs * 0.75);
    expect((await box.state()).nextAt).toBe(clock.next);

    clock.advance(BACKOFF.baseMs * 0.75 - 1);
    await settle(box);
    expect(send).toHaveBeenCalledTimes(1); // not a moment early
    clock.advance(1);
    await settle(box);
    expect(send).toHaveBeenCalledTimes(2);
    expect(await box.count()).toBe(0);
    expect(clock.next).toBeNull(); // nothing waits: no timer

    expect(send.mock.calls[0][2]).toBe("key-A");
    expect(send.mock.calls[1][2]).toBe("key-A");
    const photos = send.mock.calls[1][1] as Blob[];
    expect(photos).toHaveLength(1);
    expect(new Uint8Array(await photos[0].arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(photos[0].type).toBe("image/jpeg");

    expect(await box.flush(true)).toEqual([]); // nothing left: no second send
    expect(send).toHaveBeenCalledTimes(2);
  });

  it("never sends two at once: a flush during a flush joins it", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const send = vi.fn(async (f: ReportFields, _photos: Blob[], _key: string) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return ok(f.description);
    });
    const { box } = outbox(send);
    await box.add("k1", fields("one"), []);
    await box.add("k2", fields("two"), []);
    const [a, b, c] = await Promise.all([box.flush(), box.flush(), box.flush()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(send).toHaveBeenCalledTimes(2);
    expect(maxInFlight).toBe(1);
    expect(send.mock.calls.map((c) => c[2])).toEqual(["k1", "k2"]); // in order
  });

  it("a 429 stays queued and is not tried again before its Retry-After, not even when the connection returns", async () => {
    const send = vi.fn().mockRejectedValueOnce(apiError(429, 30, "rate_limited")).mockResolvedValueOnce(ok("M-6"));
    const { box, clock } = outbox(send);
    await box.add("six", fields("six"), []);
    expect(await box.flush(true)).toEqual([]);
    expect(await box.count()).toBe(1);

    clock.advance(29_000);
    expect(await box.flush(true)).toEqual([]); // "online" again: still too early
    expect(send).toHaveBeenCalledTimes(1);

    await settle(box);
    // Thirty seconds after the answer, and a little jitter (a tenth, at least 250 ms; half of it here).
    expect(clock.next).toBe(clock.time + 1_000 + 1_500);
    clock.advance(2_500);
    await settle(box);
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls.map((c) => c[2])).toEqual(["six", "six"]);
    expect(await box.count()).toBe(0);
  });

  it("a force (online, app start) skips the backoff of a failure without Retry-After", async () => {
    const send = vi.fn().mockRejectedValueOnce(apiError(503)).mockResolvedValueOnce(ok("M-2"));
    const { box } = outbox(send);
    await box.add("k", fields("k"), []);
    await box.flush();
    expect(await box.flush()).toEqual([]); // the timer's way: not due yet
    expect(send).toHaveBeenCalledTimes(1);
    const out = await box.flush(true);
    expect(out[0]).toMatchObject({ key: "k", ok: true });
  });

  it("keeps a report the server refuses for good, marked with its message; the rest is sent", async () => {
    const rejected = new ApiError(422, "validation_failed", { de: "Ungültig", en: "Invalid" }, { description: [{ de: "Zu lang", en: "Too long" }] });
    const send = vi.fn().mockRejectedValueOnce(rejected).mockResolvedValueOnce(ok("M-2"));
    const { box } = outbox(send);
    const seen: unknown[] = [];
    box.onOutcome((o) => seen.push(o));
    const badId = await box.add("bad", fields("bad"), [new Blob([new Uint8Array([7])], { type: "image/jpeg" })]);
    await box.add("good", fields("good"), []);

    const out = await box.flush();
    expect(out).toEqual([
      { key: "bad", ok: false, error: rejected },
      expect.objectContaining({ key: "good", ok: true }),
    ]);
    expect(seen).toHaveLength(2);
    const state = await box.state();
    expect(state.waiting).toBe(0);
    expect(state.refused).toHaveLength(1);
    expect(state.refused[0].refused).toEqual({ status: 422, code: "validation_failed", messages: rejected.messages, fields: rejected.fields });

    // Never tried again by itself …
    expect(await box.flush(true)).toEqual([]);
    expect(send).toHaveBeenCalledTimes(2);

    // … but opened for editing with everything kept, the server's message and the same key.
    const resume = resumeOf((await box.get(badId))!);
    expect(resume).toMatchObject({ id: badId, key: "bad", fields: fields("bad") });
    expect(resume.error?.text("de")).toBe("Ungültig description: Zu lang");
    expect(new Uint8Array(await resume.photos[0].arrayBuffer())).toEqual(new Uint8Array([7]));

    // The edit replaces it in the outbox and is sent like any other.
    send.mockResolvedValueOnce(ok("M-3"));
    await box.replace(badId, "bad", fields("shorter"), []);
    const again = await box.flush();
    expect(again[0]).toMatchObject({ key: "bad", ok: true });
    expect(send.mock.calls[2][0].description).toBe("shorter");
    expect(await box.count()).toBe(0);
  });

  it("discards a refused report only when asked", async () => {
    const send = vi.fn().mockRejectedValue(apiError(400));
    const { box } = outbox(send);
    const id = await box.add("k", fields("k"), []);
    await box.flush();
    expect(await box.count()).toBe(1);
    await box.remove(id);
    expect(await box.count()).toBe(0);
  });

  it("stays queued through network errors, lost answers and 5xx, with growing waits", async () => {
    const send = vi.fn().mockRejectedValueOnce(offline()).mockRejectedValueOnce(new TypeError("Failed to fetch")).mockRejectedValueOnce(apiError(502)).mockResolvedValueOnce(ok("M-4"));
    const { box, clock } = outbox(send);
    await box.add("k", fields("k"), []);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await box.flush(true);
      const [item] = await box.list();
      waits.push(item.nextAt! - clock.time);
    }
    expect(waits).toEqual([1_500, 3_000, 6_000]);
    expect((await box.flush(true))[0]).toMatchObject({ ok: true });
    expect(new Set(send.mock.calls.map((c) => c[2]))).toEqual(new Set(["k"]));
  });

  it("does not send from the timer while the device is offline", async () => {
    let online = false;
    const send = vi.fn().mockResolvedValue(ok("M-5"));
    const { box, clock } = outbox(send, { canSend: () => online });
    await box.add("k", fields("k"), []);
    await box.arm();
    clock.advance(0);
    await settle(box);
    expect(send).not.toHaveBeenCalled();
    online = true;
    await box.flush(true); // the "online" event
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("a report queued after a failed send waits its backoff before the first automatic try", async () => {
    const send = vi.fn().mockResolvedValue(ok("M-7"));
    const { box, clock } = outbox(send);
    await box.add("k", fields("k"), [], apiError(429, 5));
    await box.arm();
    expect(clock.next).toBe(clock.time + 5_000 + 250);
    expect(await box.flush(true)).toEqual([]);
    clock.advance(5_250);
    await settle(box);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("keeps fill_ms and the honeypot as measured when queued: every retry sends the same body", async () => {
    const send = vi.fn().mockRejectedValueOnce(offline()).mockRejectedValueOnce(apiError(503)).mockResolvedValueOnce(ok("M-9"));
    const { box } = outbox(send);
    const queued: ReportFields = { ...fields("offline"), website: "", fill_ms: "8123" };
    await box.add("key-F", queued, []);
    await box.flush(true);
    await box.flush(true);
    const out = await box.flush(true);
    expect(out[0]).toMatchObject({ key: "key-F", ok: true });
    expect(send).toHaveBeenCalledTimes(3);
    for (const call of send.mock.calls) {
      expect(call[0]).toEqual(queued);
      expect(call[2]).toBe("key-F");
    }
  });
});

describe("which answers keep a report", () => {
  it("refuses for good on input errors, waits on 'not now'", () => {
    for (const s of [400, 401, 403, 404, 409, 410, 413, 415, 422]) expect(isDefinitive(s), String(s)).toBe(true);
    for (const s of [408, 423, 425, 429, 500, 502, 503, 504, 507]) expect(isDefinitive(s), String(s)).toBe(false);
  });

  it("tells retryable errors from input errors", () => {
    expect(isRetryable(new NetworkError())).toBe(true);
    expect(isRetryable(new TypeError("Failed to fetch"))).toBe(true);
    expect(isRetryable(apiError(502))).toBe(true);
    expect(isRetryable(apiError(429, 3))).toBe(true);
    expect(isRetryable(apiError(408))).toBe(true);
    expect(isRetryable(apiError(422))).toBe(false);
    expect(isRetryable(apiError(413))).toBe(false);
    expect(isRetryable(new Error("bug"))).toBe(false);
  });
});

describe("backoff", () => {
  const low = () => 0;
  const high = () => 0.999999;

  it("doubles from the base with equal jitter, up to the cap", () => {
    expect(retryDelay(1, null, low)).toBe(1_000);
    expect(retryDelay(1, null, high)).toBe(2_000);
    expect(retryDelay(2, null, low)).toBe(2_000);
    expect(retryDelay(3, null, high)).toBe(8_000);
    expect(retryDelay(30, null, low)).toBe(BACKOFF.capMs / 2);
    expect(retryDelay(30, null, high)).toBe(BACKOFF.capMs);
  });

  it("never comes before Retry-After, with a little jitter, and caps an absurd one", () => {
    expect(retryDelay(1, 1, low)).toBe(1_000);
    expect(retryDelay(1, 1, high)).toBe(1_250);
    expect(retryDelay(5, 120, low)).toBe(120_000); // the server's word, not the doubling
    expect(retryDelay(1, 120, high)).toBe(125_000);
    expect(retryDelay(1, 0, low)).toBe(0);
    expect(retryDelay(1, 10 * 365 * 86_400, low)).toBe(BACKOFF.retryAfterCapMs);
  });

  it("reads Retry-After as seconds or as an HTTP date", async () => {
    const now = Date.parse("Sat, 05 Dec 2026 12:00:00 GMT");
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter(" 120 ", now)).toBe(120);
    expect(parseRetryAfter("Sat, 05 Dec 2026 12:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Sat, 05 Dec 2026 11:00:00 GMT", now)).toBe(0); // past: now
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
    const res = new Response(JSON.stringify({ error: { status: 429, code: "rate_limited", message: { de: "Zu viele", en: "Too many" } } }), { status: 429, headers: { "Retry-After": "42" } });
    const err = await errorFrom(res);
    expect(err.retryAfter).toBe(42);
    expect(isRetryable(err)).toBe(true);
  });
});

describe("editing a refused report", () => {
  const resume = (code: string) => ({ id: 1, key: "old", fields: fields("x"), photos: [], error: apiError(422, null, code) });

  it("keeps the key: the server filed nothing under it", () => {
    expect(resumeKey(resume("validation_failed"), "old", () => "new")).toBe("old");
  });

  it("takes a new key when the server says the key belongs to another report", () => {
    expect(resumeKey(resume("idempotency_mismatch"), "old", () => "new")).toBe("new");
    // Once renewed, it stays: every retry of the edit sends the same new key.
    expect(resumeKey(resume("idempotency_mismatch"), "new", () => "newer")).toBe("new");
  });
});
