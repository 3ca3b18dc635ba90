import { describe, expect, it } from "vitest";
import { scaleRect, toImagePoint } from "./rects";

const web = { width: 1600, height: 1200 };

describe("redaction rectangles", () => {
  it("scales from the displayed size to web-image pixels", () => {
    // shown at 400 × 300: factor 4
    expect(scaleRect({ x: 10, y: 20 }, { x: 60, y: 45 }, { width: 400, height: 300 }, web)).toEqual([40, 80, 200, 100]);
  });
  it("normalises any drag direction", () => {
    expect(scaleRect({ x: 60, y: 45 }, { x: 10, y: 20 }, { width: 400, height: 300 }, web)).toEqual([40, 80, 200, 100]);
  });
  it("clamps to the image and covers partial pixels", () => {
    expect(scaleRect({ x: -50, y: 290 }, { x: 10.3, y: 400 }, { width: 400, height: 300 }, web)).toEqual([0, 1160, 42, 40]);
    expect(toImagePoint({ x: 999, y: -1 }, { width: 400, height: 300 }, web)).toEqual({ x: 1600, y: 0 });
  });
  it("ignores a tap (too small to be a rectangle)", () => {
    expect(scaleRect({ x: 10, y: 10 }, { x: 10.2, y: 10.1 }, { width: 400, height: 300 }, web)).toBeNull();
  });
  it("keeps non-uniform scaling per axis", () => {
    expect(scaleRect({ x: 0, y: 0 }, { x: 100, y: 100 }, { width: 200, height: 400 }, { width: 800, height: 800 })).toEqual([0, 0, 400, 200]);
  });
});
