import { afterEach, describe, expect, it, vi } from "vitest";
import type { AbuseReceipt, PublicReport } from "../shared/types";
import { placeOf, reportView } from "./report";

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

// The fields the page reads; the server's answer holds more.
const base = {
  public_id: "2026-000005",
  status: "new",
  category: { code: "strassenlaterne", name: { de: "Straßenlaterne defekt", en: "Broken street light" }, group: "licht" },
  description: "Laterne flackert",
  published: true,
  supporters: 0,
  lat: 50.1005,
  lon: 8.7655,
  photos: [],
} satisfies Partial<PublicReport>;
const flush = () => new Promise((r) => setTimeout(r, 0));

async function show(report: Partial<PublicReport>, send = vi.fn(async (): Promise<AbuseReceipt> => ({ received: true, message: { de: "Danke.", en: "Thanks." } }))) {
  const fetchMock = vi.fn(async (url: string) =>
    url.startsWith("/api/v1/reports/")
      ? new Response(JSON.stringify({ ...base, ...report }), { status: 200, headers: { "Content-Type": "application/json" } })
      : new Response("{}", { status: 503 }),
  );
  vi.stubGlobal("fetch", fetchMock);
  const main = document.createElement("main");
  document.body.append(main);
  reportView(base.public_id, send).render(main);
  await flush();
  await flush();
  const buttons = () => [...main.querySelectorAll("button")].map((b) => b.textContent);
  return { main, send, buttons, fetchMock };
}

describe("public report page", () => {
  it("shows the public facts and text, and offers support and 'Missbrauch melden'", async () => {
    const { main, buttons, fetchMock } = await show({});
    expect(fetchMock.mock.calls[0][0]).toBe("/api/v1/reports/2026-000005");
    expect(main.querySelector("h2")?.textContent).toBe("Meldung 2026-000005");
    expect(main.textContent).toContain("Straßenlaterne defekt");
    expect(main.textContent).toContain("Laterne flackert");
    expect(main.textContent).toContain("50.10050, 8.76550");
    expect(buttons()).toEqual(["Unterstützen", "Missbrauch melden"]);
  });

  it("opens the dialog from 'Missbrauch melden' and sends for this report", async () => {
    const { main, send } = await show({});
    [...main.querySelectorAll("button")].find((b) => b.textContent === "Missbrauch melden")!.click();
    const dialog = main.querySelector("dialog")!;
    expect(dialog.hasAttribute("open") || dialog.open).toBe(true);
    dialog.querySelector<HTMLInputElement>("#abuse-r-wrong_place")!.click();
    dialog.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    expect(send).toHaveBeenCalledWith("2026-000005", "wrong_place", "");
  });

  it("offers no abuse report when the citizen content is not public, and no support once resolved", async () => {
    const hidden = await show({ published: false, description: null });
    expect(hidden.buttons()).toEqual(["Unterstützen"]);
    expect(hidden.main.textContent).toContain("Text und Fotos dieser Meldung sind nicht öffentlich.");
    document.body.replaceChildren();
    const done = await show({ status: "resolved" });
    expect(done.buttons()).toEqual(["Missbrauch melden"]);
  });

  it("names the place by its address when there is one", () => {
    expect(placeOf({ address: "Marktplatz 1", lat: 1, lon: 2 })).toBe("Marktplatz 1");
    expect(placeOf({ address: null, lat: 50.1, lon: 8.7 })).toBe("50.10000, 8.70000");
  });
});
