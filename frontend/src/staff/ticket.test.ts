import { describe, expect, it } from "vitest";
import type { StaffPhoto } from "../shared/types";
import { FOLLOW_FIRST_MS, FOLLOW_MAX_MS, nextFollowDelay, passPending } from "./ticket";

const photo = (state: string | null): StaffPhoto => ({ id: 1, url: "/p.jpg", thumbnail_url: "/t.jpg", privacy: state ? { state, reason: null, boxes: [] } : null }) as unknown as StaffPhoto;

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
});
