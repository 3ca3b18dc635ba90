import { describe, expect, it } from "vitest";
import { lang, setLang } from "../shared/i18n";
import { strings, t, waitText } from "./i18n";

describe("i18n", () => {
  it("has every key in German and English, none empty", () => {
    const de = Object.keys(strings.de).sort();
    const en = Object.keys(strings.en).sort();
    expect(en).toEqual(de);
    for (const l of ["de", "en"] as const) {
      for (const [k, v] of Object.entries(strings[l])) expect(v.trim(), `${l}.${k}`).not.toBe("");
    }
  });
  it("keeps the labels the end-to-end tests rely on", () => {
    const must = {
      startReport: "Mangel melden", stepWhere: "Wo ist der Mangel?", stepWhat: "Was ist es?", stepPhotos: "Fotos",
      stepDetails: "Beschreibung und Kontakt", useMyPosition: "Meine Position verwenden", next: "Weiter", back: "Zurück",
      send: "Absenden", photoInput: "Foto aufnehmen oder auswählen", description: "Beschreibung", email: "E-Mail (freiwillig)",
      notify: "Über den Fortschritt per E-Mail informieren", nearbyTitle: "Ist es einer davon?", support: "Unterstützen",
      reportAnyway: "Nein, neu melden", doneTitle: "Danke! Ihre Meldung ist eingegangen", track: "Meldung verfolgen",
      waiting: "Wartet auf Verbindung", sent: "Gesendet", history: "Verlauf", fixed: "Ist behoben", notFixed: "Ist nicht behoben",
      reopenNote: "Was ist noch nicht in Ordnung?", reopen: "Wieder öffnen", switchLang: "English",
    } as const;
    for (const [k, v] of Object.entries(must)) expect(strings.de[k as keyof typeof strings.de]).toBe(v);
    expect(strings.de.outside).toContain("außerhalb");
    expect(strings.de.sentId).toContain("Gesendet");
    expect(strings.en.switchLang).toBe("Deutsch");
  });
  it("keeps the labels of the abuse and confirmation views the end-to-end tests rely on", () => {
    const must = {
      abuseOpen: "Missbrauch melden", abuseReason: "Grund", abuse_offensive: "Beleidigend oder anstößig",
      abuse_personal_data: "Enthält persönliche Daten", abuse_spam: "Werbung oder Spam", abuse_wrong_place: "Falscher Ort",
      abuse_other: "Anderer Grund", abuseComment: "Kommentar (freiwillig)", abuseSend: "Hinweis senden", cancel: "Abbrechen",
      close: "Schließen", honeypot: "Website (bitte leer lassen)", details: "Details", viewReport: "Meldung ansehen",
      confirmExpiredTitle: "Bestätigungslink abgelaufen", confirmInvalidTitle: "Bestätigungslink ungültig",
    } as const;
    for (const [k, v] of Object.entries(must)) expect(strings.de[k as keyof typeof strings.de]).toBe(v);
    expect(strings.en.abuseOpen).toBe("Report abuse");
    expect(strings.en.honeypot).toBe("Website (leave empty)");
  });
  it("says how long to wait in words", () => {
    setLang("de");
    expect(waitText(1)).toBe("einer Sekunde");
    expect(waitText(45)).toBe("45 Sekunden");
    expect(waitText(61)).toBe("2 Minuten");
    expect(waitText(3600)).toBe("einer Stunde");
    setLang("en");
    expect(waitText(60)).toBe("a minute");
    expect(waitText(7200)).toBe("2 hours");
    setLang("de");
  });
  it("switches language, fills placeholders and sets <html lang>", () => {
    setLang("en");
    expect(lang()).toBe("en");
    expect(document.documentElement.lang).toBe("en");
    expect(t("trackTitle", { id: "M-1" })).toBe("Report M-1");
    setLang("de");
    expect(t("trackTitle", { id: "M-1" })).toBe("Meldung M-1");
  });
});
