import { describe, expect, it } from "vitest";
import { pointInGeometry, pointInRing } from "./geo";

const square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
const hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]];

describe("point in polygon", () => {
  it("finds points inside and outside a ring", () => {
    expect(pointInRing(5, 5, square)).toBe(true);
    expect(pointInRing(11, 5, square)).toBe(false);
    expect(pointInRing(-0.1, 5, square)).toBe(false);
    expect(pointInRing(5, 10.5, square)).toBe(false);
  });
  it("honours holes and multipolygons", () => {
    const poly: GeoJSON.Polygon = { type: "Polygon", coordinates: [square, hole] };
    expect(pointInGeometry(5, 5, poly)).toBe(false);
    expect(pointInGeometry(2, 2, poly)).toBe(true);
    const multi: GeoJSON.MultiPolygon = { type: "MultiPolygon", coordinates: [[square], [[[20, 20], [30, 20], [30, 30], [20, 20]]]] };
    expect(pointInGeometry(28, 22, multi)).toBe(true);
    expect(pointInGeometry(15, 15, multi)).toBe(false);
  });
  it("works on the demo city's concave boundary (Feature wrapper too)", () => {
    const ring = [[8.815, 50.1], [8.807286, 50.106772], [8.802123, 50.116334], [8.779536, 50.117572], [8.765, 50.1176], [8.748754, 50.11964], [8.726109, 50.117112], [8.722714, 50.106772], [8.715, 50.1], [8.725063, 50.093604], [8.729645, 50.084444], [8.749609, 50.081394], [8.765, 50.0824], [8.781246, 50.08036], [8.802123, 50.083666], [8.807286, 50.093228], [8.815, 50.1]];
    const f: GeoJSON.Feature = { type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [ring] } };
    expect(pointInGeometry(8.7657, 50.0968, f)).toBe(true);
    expect(pointInGeometry(8.9, 50.1, f)).toBe(false);
    expect(pointInGeometry(8.72, 50.118, f)).toBe(false); // in the bbox, outside the polygon
  });
});
