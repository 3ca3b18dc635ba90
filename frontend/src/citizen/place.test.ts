import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { Address } from "../shared/types";
import { draftFields, MAX_ADDRESS, type Draft } from "./flow";
import { arrowDirection, keyStepMetres, metresPerPixel, moveBy, placeText } from "./place";

afterEach(() => setLang("de"));

const address = (over: Partial<Address> = {}): Address => ({
  label: "Hauptstraße 12, 60311 Musterstadt",
  street: "Hauptstraße",
  house_number: "12",
  postcode: "60311",
  place: "Musterstadt",
  lat: 50.1,
  lon: 8.76,
  precision: "house",
  distance_m: null,
  ...over,
});

describe("arrow keys on the pin", () => {
  it("maps the four arrows to compass directions and nothing else", () => {
    expect(arrowDirection("ArrowUp")).toBe("north");
    expect(arrowDirection("ArrowDown")).toBe("south");
    expect(arrowDirection("ArrowLeft")).toBe("west");
    expect(arrowDirection("ArrowRight")).toBe("east");
    expect(arrowDirection("Enter")).toBeNull();
    expect(arrowDirection("a")).toBeNull();
  });

  it("steps about ten screen pixels, rounded to 1, 2 or 5 times a power of ten", () => {
    // At zoom 17 on 50° N a pixel is about 0.77 m: ten are 7.7 m, shown as 5 m.
    expect(metresPerPixel(17, 50)).toBeCloseTo(0.768, 2);
    expect(keyStepMetres(17, 50)).toBe(5);
    expect(keyStepMetres(15, 50)).toBe(20);
    expect(keyStepMetres(13, 50)).toBe(100);
    // Close in, never below a metre.
    expect(keyStepMetres(19, 50)).toBe(1);
    expect(keyStepMetres(22, 50)).toBe(1);
  });

  it("takes bigger steps with Shift", () => {
    expect(keyStepMetres(17, 50, true)).toBe(20);
    expect(keyStepMetres(17, 50, true)).toBeGreaterThan(keyStepMetres(17, 50));
  });

  it("moves the point by the given metres in each direction", () => {
    const lat = 50.1;
    const lon = 8.76;
    const north = moveBy(lat, lon, "north", 111.32);
    expect(north.lat).toBeCloseTo(50.101, 6);
    expect(north.lon).toBe(lon);
    expect(moveBy(lat, lon, "south", 111.32).lat).toBeCloseTo(50.099, 6);
    const east = moveBy(lat, lon, "east", 100);
    expect(east.lat).toBe(lat);
    // A degree of longitude is shorter at 50° N: 100 m are more than 0.0009°.
    expect((east.lon - lon) * 111_320 * Math.cos((lat * Math.PI) / 180)).toBeCloseTo(100, 6);
    expect(moveBy(lat, lon, "west", 100).lon).toBeLessThan(lon);
  });
});

describe("the place in words", () => {
  it("is the address label when the pin is at the house", () => {
    expect(placeText(address({ distance_m: 4 }), 50.1, 8.76)).toBe("Hauptstraße 12, 60311 Musterstadt");
  });

  it("says near when the address is farther away or only the street is known", () => {
    expect(placeText(address({ distance_m: 60 }), 50.1, 8.76)).toBe("bei Hauptstraße 12, 60311 Musterstadt");
    setLang("en");
    expect(placeText(address({ precision: "street", house_number: null, label: "Hauptstraße, 60311 Musterstadt" }), 50.1, 8.76)).toBe(
      "near Hauptstraße, 60311 Musterstadt",
    );
  });

  it("falls back to the coordinates without an address", () => {
    expect(placeText(null, 50.100512, 8.7654321)).toBe("50.10051, 8.76543");
  });
});

describe("the address sent with the report", () => {
  const draft = (address: string): Draft => ({
    key: "k",
    lat: 50.1,
    lon: 8.76,
    address,
    category: "schlagloch",
    photos: [],
    description: "",
    email: "",
    notify: false,
    notifyTouched: false,
    website: "",
    fillMs: null,
  });

  it("is the chosen label, at most as long as the server takes", () => {
    expect(draftFields(draft("Hauptstraße 12, 60311 Musterstadt"), "de").address).toBe("Hauptstraße 12, 60311 Musterstadt");
    expect(draftFields(draft("x".repeat(400)), "de").address).toHaveLength(MAX_ADDRESS);
  });

  it("is left out when no address is known", () => {
    expect(draftFields(draft(""), "de")).not.toHaveProperty("address");
  });
});
