import { describe, expect, it } from "vitest";
import { geoUri } from "./ticket";

describe("geoUri", () => {
  it("names the place by its address, for the phone's map app", () => {
    expect(geoUri({ lat: 50.1012, lon: 8.7663, address: "Hauptstraße 12", zones: [] })).toBe("geo:50.1012,8.7663?q=50.1012,8.7663(Hauptstra%C3%9Fe%2012)");
  });
  it("falls back to zones and coordinates, without brackets in the label", () => {
    expect(geoUri({ lat: 50.1, lon: 8.7, address: null, zones: ["Altstadt (Nord)"] })).toBe("geo:50.1,8.7?q=50.1,8.7(Altstadt%20Nord%2050.10000%2C%208.70000)");
  });
});
