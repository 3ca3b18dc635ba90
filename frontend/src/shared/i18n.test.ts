import { afterEach, describe, expect, it } from "vitest";
import { fill, formatDateTime, lang, pick, setLang, statusLabel } from "./i18n";

afterEach(() => setLang("de"));

describe("shared i18n", () => {
  it("shows times in Berlin time whatever the device zone", () => {
    // 2026-07-01T10:00Z is 12:00 in Berlin (CEST); 2026-01-15T10:00Z is 11:00 (CET)
    expect(formatDateTime("2026-07-01T10:00:00Z", "de")).toContain("12:00");
    expect(formatDateTime("2026-01-15T10:00:00Z", "de")).toContain("11:00");
    expect(formatDateTime(null)).toBe("");
  });
  it("picks the current language's side of a pair, falling back to German", () => {
    setLang("en");
    expect(lang()).toBe("en");
    expect(pick({ de: "Straße", en: "Road" })).toBe("Road");
    expect(pick({ de: "Straße", en: "" })).toBe("Straße");
    expect(pick(null)).toBe("");
    expect(statusLabel("in_progress")).toBe("In progress");
    expect(statusLabel("new", { de: "Offen", en: "Open" })).toBe("Open");
    expect(statusLabel("unknown_state")).toBe("unknown_state");
  });
  it("fills placeholders and keeps unknown ones", () => {
    expect(fill("{n} of {max}", { n: 2 })).toBe("2 of {max}");
  });
});
