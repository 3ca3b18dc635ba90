/** Rectangles drawn on a displayed photo, in the web-size image's pixels. */

export interface Point {
  x: number;
  y: number;
}
export interface Size {
  width: number;
  height: number;
}
/** [x, y, width, height] in image pixels, as the redact endpoint wants them. */
export type Rect = [number, number, number, number];

/** A point on the displayed element (client coordinates minus the element's box) in image pixels. */
export function toImagePoint(p: Point, displayed: Size, image: Size): Point {
  const sx = displayed.width > 0 ? image.width / displayed.width : 1;
  const sy = displayed.height > 0 ? image.height / displayed.height : 1;
  return {
    x: Math.min(image.width, Math.max(0, p.x * sx)),
    y: Math.min(image.height, Math.max(0, p.y * sy)),
  };
}

/**
 * The rectangle between two points dragged on the displayed image, scaled to image pixels,
 * whatever the drag direction, clamped to the image, whole pixels covering the drawn area.
 * Null when smaller than minSize image pixels on a side (a tap, not a drag).
 */
export function scaleRect(a: Point, b: Point, displayed: Size, image: Size, minSize = 2): Rect | null {
  const p = toImagePoint(a, displayed, image);
  const q = toImagePoint(b, displayed, image);
  const x0 = Math.floor(Math.min(p.x, q.x));
  const y0 = Math.floor(Math.min(p.y, q.y));
  const x1 = Math.ceil(Math.max(p.x, q.x));
  const y1 = Math.ceil(Math.max(p.y, q.y));
  const w = Math.min(image.width, x1) - x0;
  const hgt = Math.min(image.height, y1) - y0;
  if (w < minSize || hgt < minSize) return null;
  return [x0, y0, w, hgt];
}

/** The keyboard's selection frame on a photo, in fractions (0..1) of its width and height. */
export interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where the frame starts: a quarter of each side, in the middle of the photo. */
export const FRAME_START: Frame = { x: 0.375, y: 0.375, w: 0.25, h: 0.25 };

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const tidy = (v: number) => Math.round(v * 1000) / 1000; // no float drift after many steps

/**
 * The frame after an arrow key: moved by `step` (a fiftieth of the photo), or with `resize`
 * (Shift held) grown or shrunk at its right and bottom edge. It stays on the photo and never
 * shrinks below one step. Null for any other key.
 */
export function moveFrame(f: Frame, key: string, resize: boolean, step = 0.02): Frame | null {
  const d = ARROWS[key];
  if (!d) return null;
  const [dx, dy] = d;
  if (resize) {
    return { ...f, w: tidy(clamp(f.w + dx * step, step, 1 - f.x)), h: tidy(clamp(f.h + dy * step, step, 1 - f.y)) };
  }
  return { ...f, x: tidy(clamp(f.x + dx * step, 0, 1 - f.w)), y: tidy(clamp(f.y + dy * step, 0, 1 - f.h)) };
}

/** The frame in image pixels (whole pixels covering it), as the redact endpoint wants them. */
export function frameRect(f: Frame, image: Size): Rect {
  const x0 = Math.floor(f.x * image.width);
  const y0 = Math.floor(f.y * image.height);
  const x1 = Math.min(image.width, Math.ceil((f.x + f.w) * image.width));
  const y1 = Math.min(image.height, Math.ceil((f.y + f.h) * image.height));
  return [x0, y0, x1 - x0, y1 - y0];
}
