import { afterEach, describe, expect, it, vi } from "vitest";
import type { StaffPhoto } from "../shared/types";
import { FOLLOW_FIRST_MS, FOLLOW_MAX_MS, follower, nextFollowDelay, passPending } from "./follow";

const photo = (state: string | null): StaffPhoto => ({ id: 1, url: "/p.jpg", thumbnail_url: "/t.jpg", privacy: state ? { state, reason: null, boxes: [] } : null }) as unknown as StaffPhoto;

afterEach(() => vi.useRealTimers());

describe("following a privacy pass", () => {
  it("reads again while any photo's pass is pending, and not otherwise", () => {
    expect(passPending({ photos: [photo("done"), photo("pending")] })).toBe(true);
    expect(passPending({ photos: [photo("done"), photo("failed"), photo(null)] })).toBe(false);
    expect(passPending({ photos: [] })).toBe(false);
  });

  it("waits 2 s, then twice as long each time, never more than 30 s", () => {
    const waits = [FOLLOW_FIRST_MS];
    while (waits.length < 7) waits.push(nextFollowDelay(waits[waits.length - 1]));
    expect(waits).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(FOLLOW_MAX_MS).toBe(30000);
  });

  it("reads at 2, 6 and 14 s while pending, stops when the pass is done, and not at all once left", async () => {
    vi.useFakeTimers();
    let pending = true;
    const reads: number[] = [];
    const f = follower(
      () => pending,
      async () => {
        reads.push(Date.now());
      },
    );
    const start = Date.now();
    f.check();
    f.check(); // drawn again meanwhile: still one read scheduled
    await vi.advanceTimersByTimeAsync(14_000);
    expect(reads.map((t) => t - start)).toEqual([2000, 6000, 14000]);
    pending = false;
    await vi.advanceTimersByTimeAsync(16_000);
    expect(reads).toHaveLength(3);

    // A new pending photo starts over at 2 s; leaving the view ends it.
    pending = true;
    f.check();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(reads).toHaveLength(4);
    f.stop();
    f.check();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reads).toHaveLength(4);
  });

  it("a failed read is tried again later", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const f = follower(
      () => true,
      async () => {
        calls++;
        throw new Error("offline");
      },
    );
    f.check();
    await vi.advanceTimersByTimeAsync(6_000);
    expect(calls).toBe(2);
    f.stop();
  });
});
