// @vitest-environment node
import "fake-indexeddb/auto";
import { describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError } from "../shared/api";
import { networkFirst, recall } from "./offline";

describe("the last answers kept for offline use", () => {
  it("answers from the network and keeps the answer; without a connection the kept one", async () => {
    expect(await networkFirst("city-a", async () => ({ name: "Musterstadt" }))).toEqual({ name: "Musterstadt" });
    await vi.waitFor(async () => expect(await recall("city-a")).toEqual({ name: "Musterstadt" }));
    const offline = vi.fn().mockRejectedValue(new NetworkError(new TypeError("Failed to fetch")));
    expect(await networkFirst("city-a", offline)).toEqual({ name: "Musterstadt" });
    expect(offline).toHaveBeenCalledTimes(1); // the network was asked first
  });

  it("keeps only the last answer under a name", async () => {
    await networkFirst("map-a", async () => ({ n: 1 }));
    await networkFirst("map-a", async () => ({ n: 2 }));
    await vi.waitFor(async () => expect(await recall("map-a")).toEqual({ n: 2 }));
    expect(await networkFirst("map-a", () => Promise.reject(new ApiError(503, "database_unavailable", { de: "", en: "" })))).toEqual({ n: 2 });
  });

  it("passes on a refusal, and a failure when nothing was kept", async () => {
    await networkFirst("cats-a", async () => ["schlagloch"]);
    const refusal = new ApiError(404, "not_found", { de: "", en: "" });
    await expect(networkFirst("cats-a", () => Promise.reject(refusal))).rejects.toBe(refusal);
    const down = new NetworkError();
    await expect(networkFirst("never-kept", () => Promise.reject(down))).rejects.toBe(down);
  });
});
