import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { setCsrf } from "./api";
import { channelText, failedDeliveriesView, listFailedDeliveries } from "./deliveries";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
  setLang("de");
  document.body.replaceChildren();
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
const flush = () => new Promise((r) => setTimeout(r, 0));

const FAILED = {
  id: 7,
  report: "2026-000001",
  destination: 3,
  destination_name: { de: "Stadtwerke", en: "Public utilities" },
  channel: "email" as const,
  attempts: 5,
  error: "550 mailbox unavailable",
  failed_at: "2026-03-10T09:00:00Z",
  created_at: "2026-03-10T08:00:00Z",
};

describe("failed hand-overs", () => {
  it("names the channels in both languages", () => {
    expect(channelText("email")).toBe("E-Mail");
    expect(channelText("carrier-pigeon")).toBe("carrier-pigeon");
    setLang("en");
    expect(channelText("email")).toBe("E-mail");
  });

  it("lists a page, loads the next and sends one again, which leaves the list", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (init.method === "POST") return json(200, { delivery: { ...FAILED, status: "pending" }, message: { de: "x", en: "x" } });
      if (url.includes("cursor=c1")) return json(200, { items: [{ ...FAILED, id: 6, report: "2026-000002" }], next_cursor: null });
      return json(200, { items: [FAILED], next_cursor: "c1" });
    });
    vi.stubGlobal("fetch", fetchMock);
    const first = await listFailedDeliveries();
    expect(first.next).toBe("c1");
    expect(fetchMock.mock.calls[0][0]).toBe("/api/v1/deliveries?status=failed&limit=50");

    fetchMock.mockClear();
    const main = document.createElement("main");
    document.body.append(main);
    failedDeliveriesView().render(main);
    await flush();
    await flush();
    expect(main.querySelector("h2")?.textContent).toBe("Fehlgeschlagene Weitergaben");
    const rows = () => [...main.querySelectorAll("tbody tr")].map((r) => r.textContent);
    expect(rows()[0]).toContain("2026-000001");
    expect(rows()[0]).toContain("Stadtwerke (E-Mail)");
    expect(rows()[0]).toContain("550 mailbox unavailable");
    const more = [...main.querySelectorAll("button")].find((b) => b.textContent === "Weitere laden")!;
    more.click();
    await flush();
    await flush();
    expect(rows()).toHaveLength(2);
    const retry = main.querySelector<HTMLButtonElement>('button[aria-label="Weitergabe von 2026-000001 an Stadtwerke erneut senden"]')!;
    retry.click();
    await flush();
    await flush();
    const post = fetchMock.mock.calls.find(([, init]) => (init as RequestInit).method === "POST")!;
    expect(post[0]).toBe("/api/v1/tickets/2026-000001/deliveries/7/retry");
    expect(main.querySelector(".msg-anchor")?.textContent).toContain("Die Weitergabe an Stadtwerke wird erneut gesendet.");
    expect(rows()).toHaveLength(1);
    expect(rows()[0]).toContain("2026-000002");
  });
});
