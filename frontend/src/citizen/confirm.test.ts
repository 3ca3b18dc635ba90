import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { confirmView } from "./confirm";

afterEach(() => {
  vi.unstubAllGlobals();
  document.body.replaceChildren();
  setLang("de");
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
const err = (status: number, code: string, de: string, en: string) => json(status, { error: { status, code, message: { de, en } } });
const flush = () => new Promise((r) => setTimeout(r, 0));

async function show(answer: Response | Error, token = "tok-1") {
  const fetchMock = vi.fn(async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  });
  vi.stubGlobal("fetch", fetchMock);
  const main = document.createElement("main");
  document.body.append(main);
  const view = confirmView(token);
  view.render(main);
  expect(main.textContent).toContain("Ihre E-Mail-Adresse wird bestätigt");
  await flush();
  return { main, view, fetchMock };
}

describe("confirmation view", () => {
  it("confirms on load and says the report is public, with a link to its page", async () => {
    const { main, fetchMock } = await show(json(200, { public_id: "2026-000009", published: true, message: { de: "Bestätigt.", en: "Confirmed." } }));
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports/confirm");
    expect(JSON.parse(init.body as string)).toEqual({ token: "tok-1" });
    expect(main.querySelector("[role=status]")?.textContent).toBe("Danke! Ihre Meldung ist bestätigt und jetzt öffentlich sichtbar.");
    expect(main.textContent).toContain("Bestätigt.");
    const link = [...main.querySelectorAll("a")].find((a) => a.textContent === "Meldung ansehen");
    expect(link?.getAttribute("href")).toBe("/reports/2026-000009");
    expect(document.activeElement?.tagName).toBe("H2");
  });

  it("says a report that waits for review is confirmed but not public yet", async () => {
    const { main } = await show(json(200, { public_id: "2026-000010", published: false, message: { de: "Wird geprüft.", en: "Under review." } }));
    expect(main.querySelector("[role=status]")?.textContent).toContain("prüft sie, bevor sie öffentlich erscheint");
    expect(main.textContent).toContain("Vorgang 2026-000010");
    expect([...main.querySelectorAll("a")].some((a) => a.textContent === "Meldung ansehen")).toBe(false);
  });

  it("tells a supporter that the address now hears about the report", async () => {
    const { main } = await show(
      json(200, { public_id: "2026-000011", published: true, following: true, message: { de: "Sie erhalten Nachricht.", en: "You will hear." } }),
    );
    expect(main.querySelector("[role=status]")?.textContent).toBe(
      "Danke! Ihre E-Mail-Adresse ist bestätigt. Sie erhalten Nachricht, wenn sich an der Meldung etwas ändert.",
    );
    expect(main.textContent).not.toContain("Ihre Meldung ist bestätigt");
    expect(main.textContent).toContain("Sie erhalten Nachricht.");
    const link = [...main.querySelectorAll("a")].find((a) => a.textContent === "Meldung ansehen");
    expect(link?.getAttribute("href")).toBe("/reports/2026-000011");
  });

  it("tells an expired link apart from an invalid one", async () => {
    const expired = await show(err(410, "confirmation_expired", "Der Link ist abgelaufen.", "The link has expired."));
    expect(expired.main.querySelector("h2")?.textContent).toBe("Bestätigungslink abgelaufen");
    expect(expired.main.querySelector("[role=alert]")?.textContent).toBe("Der Link ist abgelaufen.");
    document.body.replaceChildren();

    const invalid = await show(err(400, "confirmation_invalid", "Der Link ist ungültig.", "The link is invalid."));
    expect(invalid.main.querySelector("h2")?.textContent).toBe("Bestätigungslink ungültig");
    expect(invalid.main.querySelector("[role=alert]")?.textContent).toBe("Der Link ist ungültig.");
  });

  it("offers to try again after a network failure, and does not confirm again on a language switch", async () => {
    const { main, view, fetchMock } = await show(new TypeError("Failed to fetch"));
    expect(main.querySelector("[role=alert]")?.textContent).toBe("Keine Verbindung zum Server.");
    fetchMock.mockImplementation(async () => json(200, { public_id: "2026-000011", published: true, message: { de: "", en: "" } }));
    [...main.querySelectorAll("button")].find((b) => b.textContent === "Erneut versuchen")!.click();
    await flush();
    expect(main.textContent).toContain("jetzt öffentlich sichtbar");
    expect(fetchMock).toHaveBeenCalledTimes(2);

    setLang("en");
    main.replaceChildren();
    view.render(main);
    expect(main.textContent).toContain("Your report is confirmed and now public.");
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
