/**
 * Category pictograms as small inline SVGs (no emoji: many phones lack an emoji font).
 * Drawn on a 24×24 grid with `currentColor` strokes, so they follow the tile's text colour.
 * Decorative: the button text names the category, hence aria-hidden.
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** One shape: [tag, attributes]. A bare string is shorthand for a path's `d`. */
type Shape = string | [tag: "circle" | "ellipse" | "rect", attrs: Record<string, number>];

const PIN: Shape[] = ["M12 21.5s6.5-6 6.5-11.5a6.5 6.5 0 0 0-13 0c0 5.5 6.5 11.5 6.5 11.5z", ["circle", { cx: 12, cy: 10, r: 2.5 }]];

const ICONS: Record<string, Shape[]> = {
  // a hole in the road, under the lane markings
  pothole: ["M3 5h3", "M10.5 5h3", "M18 5h3", ["ellipse", { cx: 12, cy: 15, rx: 9, ry: 4.5 }], "M6.5 15.5c2.5 2.5 8.5 2.5 11 0"],
  // a walking person on the pavement
  sidewalk: [["circle", { cx: 13, cy: 4, r: 2 }], "M12.5 7.5L11 13.5l-3 5", "M11 13.5l2.5 2.5v3", "M8.5 10.5l4-3 3 3.5", "M2 22h20"],
  // a warning sign on a post
  sign: ["M12 2.5l8.5 14h-17z", "M12 16.5V22", "M12 7.5v4", "M12 14h.01", "M8 22h8"],
  // a street light
  lamp: ["M7 22V7a4 4 0 0 1 4-4h6", "M14 4h6a3 3 0 0 1-6 0z", "M17 10.5v1.5", "M13.5 10l-1 1.5", "M20.5 10l1 1.5", "M4 22h6"],
  // a tied rubbish bag left on the ground
  trash: ["M9 11c-3.5 3-3.5 10 1 10h4c4.5 0 4.5-7 1-10z", "M10 11l2-2.5 2 2.5", "M12 8.5l-2.5-2", "M12 8.5l2.5-2", "M2 21h2", "M20 21h2"],
  // a litter bin with lid
  bin: ["M4 6h16", "M9.5 6V3.5h5V6", "M6 6l1 15h10l1-15", "M10 10v7", "M14 10v7"],
  // a broom, upright
  broom: ["M12 2v10", "M8.5 12h7", "M8.5 12L5.5 21h13l-3-9", "M10.5 15.5l-1 5.5", "M13.5 15.5l1 5.5"],
  // a spray can with spray dots
  spray: [["rect", { x: 5, y: 9, width: 8, height: 13, rx: 1.5 }], "M7 9V6h4v3", "M9 6V3.5h2", "M15 4h.01", "M18 3h.01", "M18 6h.01", "M21 4.5h.01", "M21 8h.01"],
  // a tree
  tree: [["circle", { cx: 12, cy: 9, r: 6.5 }], "M12 22V11", "M12 14.5l-3-3", "M12 13l2.5-2.5", "M7 22h10"],
  // a swing
  playground: ["M3 22L7 3h10l4 19", "M10 3v11", "M14 3v11", "M8.5 14h7"],
  // a car
  car: ["M3 17v-4l2.5-5h13L21 13v4h-2", "M5 17H3", "M9 17h6", "M6 13h12", ["circle", { cx: 7, cy: 17, r: 2 }], ["circle", { cx: 17, cy: 17, r: 2 }]],
  // a question mark in a circle
  other: [["circle", { cx: 12, cy: 12, r: 10 }], "M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5V14", "M12 17.5h.01"],
};

/** A new SVG pictogram for the API's icon name (a map pin for unknown names). */
export function categoryIcon(icon: string): SVGSVGElement {
  const shapes = Object.prototype.hasOwnProperty.call(ICONS, icon) ? ICONS[icon] : PIN;
  const svg = document.createElementNS(SVG_NS, "svg");
  const attrs: Record<string, string> = {
    class: "cat-svg",
    viewBox: "0 0 24 24",
    width: "30",
    height: "30",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
  };
  for (const [name, value] of Object.entries(attrs)) svg.setAttribute(name, value);
  for (const shape of shapes) {
    const [tag, shapeAttrs] = typeof shape === "string" ? (["path", { d: shape }] as const) : shape;
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(shapeAttrs)) el.setAttribute(name, String(value));
    svg.append(el);
  }
  return svg;
}

/** The icon names that have their own pictogram. */
export const ICON_NAMES: readonly string[] = Object.keys(ICONS);
