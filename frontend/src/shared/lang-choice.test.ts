import { afterEach, describe, expect, it } from "vitest";
import { chooseLang, followBrowserLang, lang, setLang } from "./i18n";

afterEach(() => {
  localStorage.clear();
  setLang("de");
  localStorage.clear();
});

describe("the language on a first visit", () => {
  it("follows the browser's first German or English language", () => {
    expect(chooseLang(null, ["en-GB", "en"])).toBe("en");
    expect(chooseLang(null, ["de-DE"])).toBe("de");
    expect(chooseLang(null, ["fr-FR", "en-US", "de"])).toBe("en");
    expect(chooseLang(null, ["EN"])).toBe("en");
  });

  it("is German for any other browser language, or none", () => {
    expect(chooseLang(null, ["fr-FR", "pl"])).toBe("de");
    expect(chooseLang(null, [])).toBe("de");
    expect(chooseLang(undefined)).toBe("de");
  });

  it("keeps a choice the citizen made, whatever the browser says", () => {
    expect(chooseLang("de", ["en-GB"])).toBe("de");
    expect(chooseLang("en", ["de-DE"])).toBe("en");
    expect(chooseLang("xx", ["en-GB"])).toBe("en");
  });

  it("starts an English browser in English without storing anything", () => {
    localStorage.clear();
    expect(followBrowserLang({ languages: ["en-GB", "en"] })).toBe("en");
    expect(lang()).toBe("en");
    expect(document.documentElement.lang).toBe("en");
    expect(localStorage.getItem("mm-lang")).toBeNull();
  });

  it("keeps the switch made on an earlier visit", () => {
    setLang("de"); // the citizen pressed "Deutsch"
    expect(followBrowserLang({ languages: ["en-GB"] })).toBe("de");
    setLang("en");
    expect(followBrowserLang({ languages: ["de-DE"] })).toBe("en");
  });

  it("uses navigator.language where languages is missing", () => {
    expect(followBrowserLang({ language: "en-US" })).toBe("en");
  });
});
