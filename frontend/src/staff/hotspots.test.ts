import { describe, expect, it } from "vitest";
import { SHADES, TABLE_ROWS, bboxParam, shade, tableZones, type HotspotZone } from "./hotspots";

const zone = (key: string, open: number, breached = 0): HotspotZone => ({ key, name: key, open, breached, geometry: { type: "Polygon", coordinates: [] } as never });

describe("hotspot shades", () => {
  it("leaves empty zones pale and gives the fullest the darkest shade", () => {
    expect(shade(0, 10)).toBe(SHADES[0]);
    expect(shade(0, 0)).toBe(SHADES[0]);
    expect(shade(10, 10)).toBe(SHADES[SHADES.length - 1]);
    expect(shade(1, 100)).toBe(SHADES[1]);
  });
  it("never shades a fuller zone lighter than an emptier one", () => {
    const order = Array.from({ length: 21 }, (_, n) => SHADES.indexOf(shade(n, 20)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});

describe("hotspot box", () => {
  it("writes min lon, min lat, max lon, max lat and clamps a world-wrapped view", () => {
    expect(bboxParam(8.7, 50.08, 8.82, 50.12)).toBe("8.70000,50.08000,8.82000,50.12000");
    expect(bboxParam(-200, -95, 250, 91)).toBe("-180.00000,-90.00000,180.00000,90.00000");
  });
});

describe("hotspot table", () => {
  it("lists zones with open tickets only, in the server's order, at most ten", () => {
    const zones = [zone("a", 5, 2), zone("b", 3), ...Array.from({ length: 12 }, (_, i) => zone(`z${i}`, 1)), zone("empty", 0)];
    const rows = tableZones(zones);
    expect(rows).toHaveLength(TABLE_ROWS);
    expect(rows[0].key).toBe("a");
    expect(rows.some((z) => z.key === "empty")).toBe(false);
    expect(tableZones([zone("x", 0)])).toEqual([]);
  });
});
