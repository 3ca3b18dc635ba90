import { describe, expect, it } from "vitest";
import { MAX_SIDE, targetSize } from "./resize";

describe("targetSize", () => {
  it("scales the long side down to 1600 keeping the aspect", () => {
    expect(targetSize(4032, 3024)).toEqual({ width: 1600, height: 1200 });
    expect(targetSize(3024, 4032)).toEqual({ width: 1200, height: 1600 });
    expect(targetSize(4000, 4000)).toEqual({ width: 1600, height: 1600 });
  });
  it("never enlarges small photos", () => {
    expect(targetSize(800, 600)).toEqual({ width: 800, height: 600 });
    expect(targetSize(1600, 900)).toEqual({ width: 1600, height: 900 });
  });
  it("keeps extreme panoramas at least 1 px and handles bad input", () => {
    expect(targetSize(100000, 10)).toEqual({ width: MAX_SIDE, height: 1 });
    expect(targetSize(0, 100)).toEqual({ width: 0, height: 0 });
    expect(targetSize(NaN, 100)).toEqual({ width: 0, height: 0 });
  });
  it("takes another maximum", () => {
    expect(targetSize(1000, 500, 100)).toEqual({ width: 100, height: 50 });
  });
});
