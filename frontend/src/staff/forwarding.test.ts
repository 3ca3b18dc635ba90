import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import { deliveriesList, deliveryStateText, destinationBody, remoteText, serviceCodes, type Delivery } from "./forwarding";
import { nameOf } from "./names";

afterEach(() => setLang("de"));

const base = { nameDe: " Stadtwerke ", nameEn: "", url: " https://x.example/open311/v2 ", apiKey: "k", jurisdiction: "", email: " a@b.example ", codes: { licht: "SL" } };

function delivery(over: Partial<Delivery>): Delivery {
  return {
    id: 7,
    key: "k",
    destination: 1,
    destination_name: { de: "Stadtwerke", en: "Public utility" },
    channel: "email",
    status: "pending",
    attempts: 0,
    created_at: "2026-03-01T10:00:00Z",
    next_attempt_at: null,
    delivered_at: null,
    failed_at: null,
    error: null,
    remote_id: null,
    remote_token: null,
    remote_status: null,
    ...over,
  };
}

describe("forwarding to external bodies", () => {
  it("names a delivery's state in German and English", () => {
    expect(["pending", "delivered", "failed"].map(deliveryStateText)).toEqual(["wartet", "zugestellt", "fehlgeschlagen"]);
    setLang("en");
    expect(deliveryStateText("failed")).toBe("failed");
    expect(deliveryStateText("odd")).toBe("odd");
  });

  it("maps categories to service codes, leaving blank rows out and refusing half or doubled rows", () => {
    expect(serviceCodes([{ category: " licht ", code: " SL " }, { category: "", code: "" }])).toEqual({ map: { licht: "SL" }, error: null });
    expect(serviceCodes([{ category: "", code: " " }])).toEqual({ map: null, error: null });
    expect(serviceCodes([{ category: "licht", code: "" }]).error).toBe("serviceCodeIncomplete");
    expect(serviceCodes([{ category: "licht", code: "A" }, { category: "licht", code: "B" }]).error).toBe("serviceCodeTwice");
  });

  it("sends only the chosen channel's fields, the English name defaulting to the German one", () => {
    expect(destinationBody({ ...base, channel: "email" })).toEqual({
      name_de: "Stadtwerke",
      name_en: "Stadtwerke",
      channel: "email",
      url: null,
      api_key: null,
      jurisdiction_id: null,
      service_codes: null,
      email: "a@b.example",
      active: true,
    });
    const o = destinationBody({ ...base, channel: "open311" });
    expect([o.url, o.api_key, o.jurisdiction_id, o.service_codes, o.email]).toEqual(["https://x.example/open311/v2", "k", null, { licht: "SL" }, null]);
    const w = destinationBody({ ...base, channel: "webhook" });
    expect([w.url, w.api_key, w.service_codes, w.email]).toEqual(["https://x.example/open311/v2", null, null, null]);
  });

  it("shows their request id and status", () => {
    expect(remoteText(delivery({}))).toBe("–");
    expect(remoteText(delivery({ remote_id: "42", remote_status: "open" }))).toBe("42 · Status dort: open");
  });

  it("offers 'Erneut senden' only on a failed delivery, with its error", () => {
    const ok = deliveriesList([delivery({ status: "delivered", attempts: 1 })], () => undefined);
    expect(ok.textContent).toContain("zugestellt");
    expect(ok.querySelector("button")).toBeNull();
    let retried = 0;
    const bad = deliveriesList([delivery({ status: "failed", attempts: 1, error: "connection refused" })], () => retried++);
    expect(bad.textContent).toContain("connection refused");
    const btn = bad.querySelector("button")!;
    expect(btn.textContent).toBe("Erneut senden");
    btn.click();
    expect(retried).toBe(1);
  });

  it("labels the hand-over and the body's answer in the history", () => {
    expect(nameOf("event", "handed_over")).toBe("An externe Stelle weitergegeben");
    setLang("en");
    expect(nameOf("event", "external_update")).toBe("Update from the external body");
  });
});
