import { describe, expect, it } from "vitest";
import { draftFields, type Draft } from "./flow";
import { FillClock, HONEYPOT, honeypotField } from "./spam";

const draft = (over: Partial<Draft> = {}): Draft => ({
  key: "k",
  lat: 50.1,
  lon: 8.76,
  address: "",
  category: "schlagloch",
  photos: [],
  description: "Loch",
  email: "",
  notify: false,
  notifyTouched: false,
  website: "",
  fillMs: null,
  ...over,
});

describe("fill time", () => {
  it("counts whole milliseconds from the start of the flow to the press of send", () => {
    let now = 1000.4;
    const clock = new FillClock(() => now);
    now = 1000.4 + 7345.6;
    expect(clock.elapsed()).toBe(7346);
    now = 1000.4 + 9000;
    expect(clock.elapsed()).toBe(9000); // a second press measures again
  });

  it("never reports a negative time", () => {
    let now = 5000;
    const clock = new FillClock(() => now);
    now = 4000;
    expect(clock.elapsed()).toBe(0);
  });
});

describe("honeypot", () => {
  it("is an off-screen text input named website, hidden from assistive technology, out of the tab order", () => {
    const { el, input } = honeypotField();
    document.body.append(el);
    expect(input.name).toBe(HONEYPOT);
    expect(HONEYPOT).toBe("website");
    expect(input.type).toBe("text");
    expect(input.tabIndex).toBe(-1);
    expect(input.getAttribute("autocomplete")).toBe("off");
    expect(input.getAttribute("aria-hidden")).toBe("true");
    expect(el.getAttribute("aria-hidden")).toBe("true");
    expect(el.classList.contains("hp-field")).toBe(true);
    // labelled, for the rare screen reader that reaches it
    expect(input.labels?.[0]?.textContent).toBe("Website (bitte leer lassen)");
    el.remove();
  });

  it("keeps a value it is given (a redraw does not lose what a bot typed)", () => {
    expect(honeypotField("http://spam.example").input.value).toBe("http://spam.example");
  });
});

describe("the report's fields", () => {
  it("carry the honeypot as it is and fill_ms once measured", () => {
    expect(draftFields(draft({ fillMs: 8123 }), "de")).toMatchObject({ website: "", fill_ms: "8123", category: "schlagloch", lang: "de" });
    expect(draftFields(draft({ website: "x", fillMs: 12 }), "en")).toMatchObject({ website: "x", fill_ms: "12", lang: "en" });
    expect(draftFields(draft(), "de")).not.toHaveProperty("fill_ms");
  });
});
