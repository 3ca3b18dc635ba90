import { beforeEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import { forgetNames, learnAll, nameOf, namesOf, readableCode, routingText } from "./names";

describe("nameOf", () => {
  beforeEach(() => {
    forgetNames();
    setLang("de");
  });

  it("shows learned names in the current language", () => {
    learnAll({
      departments: [{ code: "hafen", name: { de: "Hafenbetrieb", en: "Harbour Operations" } }],
      zones: [{ key: "sued", kind: "district", name: "Süd" }],
      rules: [{ id: "strasse", name: { de: "Straßenschäden", en: "Road damage" } }],
      groups: [{ code: "strasse", name: { de: "Straße", en: "Roads" } }],
    });
    expect(nameOf("department", "hafen")).toBe("Hafenbetrieb");
    expect(nameOf("zone", "sued")).toBe("Süd");
    expect(nameOf("rule", "strasse")).toBe("Straßenschäden");
    expect(nameOf("group", "strasse")).toBe("Straße");
    setLang("en");
    expect(nameOf("department", "hafen")).toBe("Harbour Operations");
    expect(nameOf("zone", "sued")).toBe("Süd");
    expect(nameOf("rule", "strasse")).toBe("Road damage");
  });

  it("names event kinds, SLA states and ticket states in both languages", () => {
    expect(nameOf("event", "assigned")).toBe("Zugewiesen");
    expect(nameOf("sla", "at_risk")).toBe("gefährdet");
    expect(nameOf("status", "in_progress")).toBe("In Bearbeitung");
    setLang("en");
    expect(nameOf("event", "photo")).toBe("Photo added");
    expect(nameOf("event", "deadline")).toBe("Deadline changed");
    expect(nameOf("sla", "breached")).not.toBe("breached");
    expect(nameOf("status", "waiting_external")).toBe("Waiting for a third party");
  });

  it("never shows an unnamed code raw", () => {
    expect(nameOf("rule", "park-sauberkeit")).toBe("Park sauberkeit");
    expect(nameOf("event", "some_new_kind")).toBe("Some new kind");
    expect(nameOf("zone", "")).toBe("");
    expect(readableCode("hafen")).toBe("Hafen");
  });

  it("joins several names", () => {
    learnAll({ zones: [{ key: "hafen", name: "Hafen" }, { key: "nord", name: "Nord" }] });
    expect(namesOf("zone", ["hafen", "nord"])).toBe("Hafen, Nord");
  });
});

describe("routingText", () => {
  beforeEach(() => {
    forgetNames();
    setLang("de");
  });

  it("keeps a stored sentence that names the rule, and names the codes of an older one", () => {
    const text = { de: "Hafenbetrieb: Regel „Hafengebiet“ — alle Kategorien in Zone Hafen", en: "Harbour Operations: rule “Harbour area” — any category in zone Hafen" };
    expect(routingText({ text, rule_id: "hafen", rule_name: { de: "Hafengebiet", en: "Harbour area" }, department: "hafen" })).toBe(text.de);
    learnAll({ departments: [{ code: "tiefbau", name: { de: "Tiefbauamt", en: "Civil Engineering Office" } }], rules: [{ id: "strasse", name: { de: "Straßenschäden", en: "Road damage" } }] });
    const old = { text: { de: "Tiefbauamt: Regel strasse — Kategoriegruppe strasse überall", en: "x" }, rule_id: "strasse", department: "tiefbau" };
    expect(routingText(old)).toBe("Tiefbauamt: Regel „Straßenschäden“");
    setLang("en");
    expect(routingText(old)).toBe("Civil Engineering Office: rule “Road damage”");
  });
});
