import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import { ageText, slaBadge, slaBadgeInfo, slaText } from "./sla";

afterEach(() => setLang("de"));

describe("SLA badge", () => {
  it("maps every state to the German text the browser tests rely on", () => {
    setLang("de");
    expect(slaText("ok")).toBe("im Plan");
    expect(slaText("at_risk")).toBe("gefährdet");
    expect(slaText("breached")).toBe("überschritten");
    expect(slaText("paused")).toBe("pausiert");
    expect(slaText("met")).toBe("eingehalten");
    expect(slaText("missed")).toBe("verfehlt");
  });
  it("has English texts and a neutral badge for unknown states", () => {
    setLang("en");
    expect(slaText("breached")).toBe("overdue");
    expect(slaText("weird")).toBe("unknown");
    expect(slaBadgeInfo(undefined).cls).toBe("sla sla-unknown");
  });
  it("tells the state in text and symbol, not colour alone", () => {
    setLang("de");
    const el = slaBadge("at_risk");
    expect(el.textContent).toContain("gefährdet");
    expect(el.className).toBe("sla sla-at_risk");
    expect(el.querySelector("[aria-hidden=true]")?.textContent).toBe("!");
  });
  it("writes the age in minutes, hours, days", () => {
    setLang("de");
    const now = Date.parse("2026-03-10T12:00:00Z");
    expect(ageText("2026-03-10T11:30:00Z", now)).toBe("30 Min.");
    expect(ageText("2026-03-09T12:00:00Z", now)).toBe("24 Std.");
    expect(ageText("2026-03-07T12:00:00Z", now)).toBe("3 Tagen");
    expect(ageText(null, now)).toBe("");
  });
});
