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
