import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { listFailedMails, retryMail, setCsrf } from "./api";
import { mailFailureSection, mailKindText, mailsView } from "./mails";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
  setLang("de");
  document.body.replaceChildren();
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}
const calls = (m: ReturnType<typeof vi.fn>) =>
  (m.mock.calls as unknown as [string, RequestInit][]).map(([url, init]) => ({ url, method: init.method, headers: init.headers as Record<string, string> }));
const flush = () => new Promise((r) => setTimeout(r, 0));

const FAILED = {
  id: 7,
  kind: "acknowledged",
  to: "reporter" as const,
  failed_at: "2026-03-10T09:00:00Z",
  attempts: 1,
  error: "recipient refused: 550 5.1.1 <<address>>: User unknown",
};

describe("undeliverable mails", () => {
  it("tells staff on the ticket which mail to whom could not be delivered, in both languages", () => {
    const section = mailFailureSection([FAILED])!;
    expect(section.querySelector("h3")?.textContent).toBe("Mails, die nicht zugestellt werden konnten");
    const item = section.querySelector("li")!.textContent!;
    expect(item).toContain("Mail an den Meldenden nicht zustellbar");
    expect(item).toContain("Angenommen, gescheitert am 10.03.2026");
    expect(item).toContain("550 5.1.1");
    expect(mailFailureSection([])).toBeNull();
    expect(mailFailureSection(undefined)).toBeNull();
    setLang("en");
    expect(mailFailureSection([{ ...FAILED, to: "follower" }])!.textContent).toContain("Mail to a supporter undeliverable");
    expect(mailKindText("escalation")).toBe("Escalation");
    expect(mailKindText("something_new")).toBe("something_new");
  });

  it("lists a page, loads the next and sends one again with the CSRF token", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (init.method === "POST") return json(200, { id: 7, status: "pending", message: { de: "x", en: "x" } });
      if (url.includes("cursor=c1")) return json(200, { items: [{ ...FAILED, id: 6, report: null, created_at: FAILED.failed_at }], next_cursor: null });
      return json(200, { items: [{ ...FAILED, report: "2026-000001", created_at: FAILED.failed_at }], next_cursor: "c1" });
    });
    vi.stubGlobal("fetch", fetchMock);
    const first = await listFailedMails();
    expect(first.next).toBe("c1");
    expect(calls(fetchMock)[0].url).toBe("/api/v1/admin/mails/failed?limit=100");
    await retryMail(7);
    const post = calls(fetchMock)[1];
    expect([post.url, post.method, post.headers["X-CSRF-Token"]]).toEqual(["/api/v1/admin/mails/7/retry", "POST", "tok"]);

    fetchMock.mockClear();
    const main = document.createElement("main");
    document.body.append(main);
    mailsView().render(main);
    await flush();
    await flush();
    expect(main.querySelector("h2")?.textContent).toBe("Unzustellbare Mails");
    const rows = () => [...main.querySelectorAll("tbody tr")].map((r) => r.textContent);
    expect(rows()[0]).toContain("Meldende Person");
    expect(rows()[0]).toContain("2026-000001");
    const more = [...main.querySelectorAll("button")].find((b) => b.textContent === "Weitere laden")!;
    more.click();
    await flush();
    await flush();
    expect(rows()).toHaveLength(2);
    const retry = main.querySelector<HTMLButtonElement>('button[aria-label="Mail 7 erneut senden"]')!;
    retry.click();
    await flush();
    await flush();
    expect(main.querySelector(".msg-anchor")?.textContent).toContain("Mail 7 wird erneut gesendet.");
  });
});
