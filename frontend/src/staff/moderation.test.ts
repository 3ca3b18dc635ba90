import { describe, expect, it } from "vitest";
import { placeText } from "./moderation";

describe("moderation rows", () => {
  it("say where a report is: its address when it has one", () => {
    expect(placeText({ lat: 50.1005, lon: 8.7655, address: "Marktstraße 12" })).toBe("Marktstraße 12");
  });
  it("else its coordinates", () => {
    expect(placeText({ lat: 50.1005, lon: 8.7655, address: null })).toBe("50.10050, 8.76550");
    expect(placeText({ lat: 50.1005, lon: 8.7655, address: "  " })).toBe("50.10050, 8.76550");
  });
});
