import { describe, expect, it } from "vitest";
import { KIND_COLOURS, kindColour, kindLabel, parseFeatureCollection, zoneKinds } from "./zones";

const fc = (kinds: string[]): GeoJSON.FeatureCollection => ({
  type: "FeatureCollection",
  features: kinds.map((kind, i) => ({ type: "Feature", id: `z${i}`, properties: { kind, name: `Zone ${i}` }, geometry: { type: "Point", coordinates: [0, 0] } })),
});

describe("admin zone map", () => {
  it("lists each kind once, sorted", () => {
    expect(zoneKinds(fc(["district", "area", "district", ""]))).toEqual(["area", "district"]);
    expect(zoneKinds(null)).toEqual([]);
  });
  it("gives each kind its own colour, in the kinds' order", () => {
    const kinds = ["area", "district"];
    expect(kindColour(kinds, "area")).toBe(KIND_COLOURS[0]);
    expect(kindColour(kinds, "district")).toBe(KIND_COLOURS[1]);
    expect(kindColour(kinds, "area")).not.toBe(kindColour(kinds, "district"));
  });
  it("names a kind in words, not by its code", () => {
    expect(kindLabel("district")).toBe("Stadtteil");
    expect(kindLabel("water_protection")).toBe("Water protection");
  });
  it("reads only a FeatureCollection", () => {
    expect(parseFeatureCollection(JSON.stringify(fc(["area"])))?.features).toHaveLength(1);
    expect(parseFeatureCollection('{"type": "Feature"}')).toBeNull();
    expect(parseFeatureCollection("not json")).toBeNull();
  });
});
