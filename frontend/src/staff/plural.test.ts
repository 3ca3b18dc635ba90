import { afterEach, describe, expect, it } from "vitest";
import { fill, plural, setLang } from "../shared/i18n";
import { st } from "./i18n";

afterEach(() => setLang("de"));

describe("plurals", () => {
  it("chooses the form by the language's plural rules", () => {
    expect(plural(1, "Fläche|Flächen", "de")).toBe("Fläche");
    expect(plural(2, "Fläche|Flächen", "de")).toBe("Flächen");
    expect(plural(0, "Fläche|Flächen", "de")).toBe("Flächen");
    expect(plural(1, "area|areas", "en")).toBe("area");
    expect(plural(0, "area|areas", "en")).toBe("areas");
    expect(plural(5, "Park", "de")).toBe("Park");
  });

  it("fills {n:one|other} in a string", () => {
    expect(fill("{n} {n:Fläche|Flächen} in der Datei", { n: 1 }, "de")).toBe("1 Fläche in der Datei");
    expect(fill("{n} {n:area|areas}", { n: 3 }, "en")).toBe("3 areas");
    expect(fill("{m:a|b} {n}", { n: 1 })).toBe("{m:a|b} 1");
  });

  it("gives the staff app's counts the right form in both languages", () => {
    expect(st("zoneFeatures", { n: 1, names: "Hafen" })).toBe("1 Fläche in der Datei: Hafen");
    expect(st("zoneFeatures", { n: 2, names: "Hafen, Nord" })).toBe("2 Flächen in der Datei: Hafen, Nord");
    expect(st("queueCount", { n: 1 })).toBe("1 Meldung");
    setLang("en");
    expect(st("zoneFeatures", { n: 1, names: "Hafen" })).toBe("1 area in the file: Hafen");
    expect(st("queueCount", { n: 2 })).toBe("2 reports");
    expect(st("rulesApplied", { v: 3, n: 1 })).toBe("Version 3 is in force; 1 report moved.");
  });
});
