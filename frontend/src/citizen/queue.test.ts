// @vitest-environment node
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError } from "../shared/api";
import type { SubmitResult } from "../shared/types";
import type { ReportFields } from "./api";
import { Outbox, isRetryable } from "./queue";

const fields = (d: string): ReportFields => ({ category: "schlagloch", lat: "50.1", lon: "8.76", description: d, email: "", notify: "false", lang: "de" });
const ok = (id: string): SubmitResult => ({ report: { public_id: id } as SubmitResult["report"], tracking_url: `/track/${id}`, tracking_token: id });
let n = 0;
const dbName = () => `test-outbox-${++n}`;

describe("offline outbox", () => {
  it("sends exactly once with the stored key: network error first, success on retry", async () => {
    const send = vi
      .fn()
      .mockRejectedValueOnce(new NetworkError(new TypeError("Failed to fetch")))
      .mockResolvedValueOnce(ok("M-1"));
    const box = new Outbox(dbName(), send);
    await box.add("key-A", fields("a"), [new Blob([new Uint8Array([1, 2, 3])], { type: "image/jpeg" })]);

    expect(await box.flush()).toEqual([]);
    expect(await box.count()).toBe(1); // kept after the network error

    const out = await box.flush();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ key: "key-A", ok: true });
    expect(await box.count()).toBe(0);

    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[0][2]).toBe("key-A");
    expect(send.mock.calls[1][2]).toBe("key-A");
    const photos = send.mock.calls[1][1] as Blob[];
    expect(photos).toHaveLength(1);
    expect(new Uint8Array(await photos[0].arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(photos[0].type).toBe("image/jpeg");

    expect(await box.flush()).toEqual([]); // nothing left: no second send
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
    const box = new Outbox(dbName(), send);
    await box.add("k1", fields("one"), []);
    await box.add("k2", fields("two"), []);
    const [a, b, c] = await Promise.all([box.flush(), box.flush(), box.flush()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(send).toHaveBeenCalledTimes(2);
    expect(maxInFlight).toBe(1);
    expect(send.mock.calls.map((c) => c[2])).toEqual(["k1", "k2"]); // in order
  });

  it("drops a report the server rejects with 4xx and keeps the error; stops at 5xx", async () => {
    const rejected = new ApiError(422, "validation_failed", { de: "Ungültig", en: "Invalid" });
    const send = vi
      .fn()
      .mockRejectedValueOnce(rejected)
      .mockRejectedValueOnce(new ApiError(503, "unavailable", { de: "x", en: "x" }))
      .mockResolvedValueOnce(ok("M-2"));
    const box = new Outbox(dbName(), send);
    const seen: unknown[] = [];
    box.onOutcome((o) => seen.push(o));
    await box.add("bad", fields("bad"), []);
    await box.add("good", fields("good"), []);

    const first = await box.flush();
    expect(first).toEqual([{ key: "bad", ok: false, error: rejected }]);
    expect(await box.count()).toBe(1); // "good" waits after the 503

    const second = await box.flush();
    expect(second[0]).toMatchObject({ key: "good", ok: true });
    expect(send.mock.calls.map((c) => c[2])).toEqual(["bad", "good", "good"]);
    expect(seen).toHaveLength(2);
  });

  it("tells retryable errors from input errors", () => {
    expect(isRetryable(new NetworkError())).toBe(true);
    expect(isRetryable(new ApiError(502, "x", { de: "", en: "" }))).toBe(true);
    expect(isRetryable(new ApiError(422, "x", { de: "", en: "" }))).toBe(false);
  });

  it("keeps fill_ms and the honeypot as measured when queued: every retry sends the same body", async () => {
    const send = vi
      .fn()
      .mockRejectedValueOnce(new NetworkError(new TypeError("Failed to fetch")))
      .mockRejectedValueOnce(new ApiError(503, "unavailable", { de: "x", en: "x" }))
      .mockResolvedValueOnce(ok("M-9"));
    const box = new Outbox(dbName(), send);
    const queued: ReportFields = { ...fields("offline"), website: "", fill_ms: "8123" };
    await box.add("key-F", queued, []);
    await box.flush();
    await box.flush();
    const out = await box.flush();
    expect(out[0]).toMatchObject({ key: "key-F", ok: true });
    expect(send).toHaveBeenCalledTimes(3);
    for (const call of send.mock.calls) {
      expect(call[0]).toEqual(queued);
      expect(call[0].fill_ms).toBe("8123");
      expect(call[2]).toBe("key-F");
    }
  });
});
