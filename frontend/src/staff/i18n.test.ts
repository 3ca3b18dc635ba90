import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import { actedBy, actorLabel, st, staffStrings } from "./i18n";

afterEach(() => setLang("de"));

describe("staff i18n", () => {
  it("has every key in German and English, none empty, same placeholders", () => {
    const de = Object.keys(staffStrings.de).sort();
    expect(Object.keys(staffStrings.en).sort()).toEqual(de);
    for (const k of de) {
      const a = staffStrings.de[k as keyof typeof staffStrings.de];
      const b = staffStrings.en[k as keyof typeof staffStrings.en];
      expect(a.trim(), `de.${k}`).not.toBe("");
      expect(b.trim(), `en.${k}`).not.toBe("");
      const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(ph(b), k).toEqual(ph(a));
    }
  });
  it("names who acted: the resolved name, else a word for citizen, system and command line", () => {
    expect(actorLabel("user:3", "Erika Muster")).toBe("Erika Muster");
    expect(actedBy("user:3", "Erika Muster")).toBe("von Erika Muster");
    expect(actorLabel("cli", null)).toBe("Kommandozeile");
    expect(actedBy("system")).toBe("vom System");
    expect(actedBy("citizen")).toBe("von der meldenden Person");
    setLang("en");
    expect(actedBy("citizen")).toBe("by the reporter");
    expect(actedBy("token:9", null)).toBe("by token:9");
    expect(actorLabel(null)).toBe("");
  });
  it("keeps the labels the browser tests rely on", () => {
    const must: Record<string, string> = {
      email: "E-Mail", password: "Passwort", login: "Anmelden", navQueue: "Meine Liste", navBoard: "Fristen",
      navModeration: "Moderation", navAdmin: "Verwaltung", logout: "Abmelden", queueTitle: "Meine Liste",
      sla_ok: "im Plan", sla_at_risk: "gefährdet", sla_breached: "überschritten", publicNote: "Öffentliche Notiz",
      internalNote: "Interne Notiz", afterPhoto: "Nachher-Foto", uploadPhoto: "Foto hochladen", history: "Verlauf",
      boardTitle: "Fristen", byDepartment: "Nach Dienststelle", byCategory: "Nach Kategorie", breachTable: "Überschritten",
      forward: "Weiterleiten", department: "Dienststelle", reason: "Grund", csv: "CSV herunterladen", geojson: "GeoJSON herunterladen",
      moderationTitle: "Moderation", publicText: "Öffentlicher Text", publish: "Veröffentlichen", hide: "Verbergen", redact: "Schwärzen",
      adminTitle: "Verwaltung", departments: "Dienststellen", categories: "Kategorien", accounts: "Konten", zones: "Zonen", rules: "Regeln",
      geojsonFile: "GeoJSON-Datei", zoneKind: "Art", zoneImport: "Zonen importieren", rulesJson: "Regeln (JSON)", dryRun: "Probelauf",
      applyRules: "Regeln übernehmen", switchLang: "English",
      navBlocklist: "Sperrliste", blocklistTitle: "Sperrliste", pattern: "Muster", blockReason: "Grund (freiwillig)",
      blockAdd: "Hinzufügen", blockRemove: "Entfernen", blockRemoveYes: "Ja, entfernen", flaggedFilter: "Gemeldet",
      dismissFlags: "Meldungen verwerfen", held: "Zurückgehalten",
    };
    for (const [k, v] of Object.entries(must)) expect(staffStrings.de[k as keyof typeof staffStrings.de], k).toBe(v);
    expect(staffStrings.de.conflict).toContain("Inzwischen von jemand anderem geändert");
    expect(st("ticketTitle", { id: "2026-000001" })).toBe("Meldung 2026-000001");
    expect(staffStrings.en.switchLang).toBe("Deutsch");
    expect(staffStrings.en.flaggedFilter).toBe("Flagged");
    expect(staffStrings.en.dismissFlags).toBe("Dismiss flags");
    expect(staffStrings.en.navBlocklist).toBe("Block list");
  });
  it("switches with the shared language setting", () => {
    setLang("en");
    expect(st("ticketTitle", { id: "X" })).toBe("Report X");
  });
});
