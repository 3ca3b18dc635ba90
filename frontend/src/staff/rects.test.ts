import { describe, expect, it } from "vitest";
import { FRAME_START, frameRect, moveFrame, scaleRect, toImagePoint } from "./rects";

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

describe("the keyboard frame", () => {
  it("moves with the arrow keys and resizes with Shift", () => {
    const moved = moveFrame(FRAME_START, "ArrowRight", false);
    expect(moved).toEqual({ x: 0.395, y: 0.375, w: 0.25, h: 0.25 });
    expect(moveFrame(moved!, "ArrowUp", false)).toEqual({ x: 0.395, y: 0.355, w: 0.25, h: 0.25 });
    expect(moveFrame(FRAME_START, "ArrowDown", true)).toEqual({ x: 0.375, y: 0.375, w: 0.25, h: 0.27 });
    expect(moveFrame(FRAME_START, "ArrowLeft", true)).toEqual({ x: 0.375, y: 0.375, w: 0.23, h: 0.25 });
  });
  it("ignores other keys", () => {
    expect(moveFrame(FRAME_START, "Enter", false)).toBeNull();
    expect(moveFrame(FRAME_START, "a", true)).toBeNull();
  });
  it("stays on the photo and never vanishes", () => {
    let f = FRAME_START;
    for (let i = 0; i < 100; i++) f = moveFrame(f, "ArrowRight", false)!;
    expect(f.x + f.w).toBe(1);
    for (let i = 0; i < 100; i++) f = moveFrame(f, "ArrowRight", true)!;
    expect(f.w).toBe(0.25); // no room to grow at the right edge
    for (let i = 0; i < 100; i++) f = moveFrame(f, "ArrowUp", true)!;
    expect(f.h).toBe(0.02);
  });
  it("covers whole image pixels", () => {
    expect(frameRect(FRAME_START, web)).toEqual([600, 450, 400, 300]);
    expect(frameRect({ x: 0.333, y: 0, w: 0.667, h: 1 }, { width: 100, height: 75 })).toEqual([33, 0, 67, 75]);
  });
});
