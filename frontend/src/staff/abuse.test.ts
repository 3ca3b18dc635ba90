import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { flagCount, flagSection, heldText } from "./abuse";
import { ApiError, addBlock, dismissAbuse, listBlocklist, listTickets, removeBlock, setCsrf } from "./api";
import { addErrors, blocklistView } from "./blocklist";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
  setLang("de");
  document.body.replaceChildren();
});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}
const calls = (m: ReturnType<typeof vi.fn>) =>
  (m.mock.calls as unknown as [string, RequestInit][]).map(([url, init]) => ({ url, method: init.method, headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(init.body as string) : undefined }));
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("held reasons and flags", () => {
  it("says why a report is held, in both languages", () => {
    expect(heldText("blocklist")).toBe("Absender steht auf der Sperrliste");
    expect(heldText("email_unconfirmed")).toBe("E-Mail-Adresse noch nicht bestätigt");
    expect(heldText("abuse")).toBe("Nach Missbrauchsmeldungen verborgen");
    expect(heldText(null)).toBeNull();
    setLang("en");
    expect(heldText("blocklist")).toBe("Sender is on the block list");
  });

  it("lists the flags with reason, time and comment, and counts them on queue items too", () => {
    const [head, list] = flagSection(
      [
        { id: 1, reason: "personal_data", comment: "Gesicht erkennbar", created_at: "2026-03-10T09:00:00Z" },
        { id: 2, reason: "spam", comment: null, created_at: "2026-03-10T10:00:00Z" },
      ],
      "f-h",
    );
    expect(head.textContent).toBe("Missbrauchsmeldungen (2)");
    const items = [...list.querySelectorAll("li")].map((li) => li.textContent);
    expect(items[0]).toContain("Enthält persönliche Daten");
    expect(items[0]).toContain("10:00"); // Berlin time
    expect(items[0]).toContain("Gesicht erkennbar");
    expect(items[1]).toContain("Werbung oder Spam");
    expect(flagSection([], "x")).toEqual([]);
    expect(flagCount({ abuse_flag_count: 3 })).toBe(3);
    expect(flagCount({ abuse_flags: [] })).toBe(0);
  });
});

describe("staff api: abuse and block list", () => {
  it("dismisses flags with If-Match and the CSRF token", async () => {
    setCsrf("tok");
    const fetchMock = vi.fn(async () => json(200, { public_id: "2026-000001", version: 4, published: true }, { ETag: '"4"' }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await dismissAbuse("2026-000001", '"3"');
    const [c] = calls(fetchMock);
    expect(c.url).toBe("/api/v1/tickets/2026-000001/abuse/dismiss");
    expect(c.method).toBe("POST");
    expect(c.headers["If-Match"]).toBe('"3"');
    expect(c.headers["X-CSRF-Token"]).toBe("tok");
    expect(r).toMatchObject({ etag: '"4"', conflict: false });
    expect(r.ticket.published).toBe(true);
  });

  it("asks the queue for flagged tickets", async () => {
    const fetchMock = vi.fn(async () => json(200, { items: [{ public_id: "a", abuse_flag_count: 2 }], total: 1 }));
    vi.stubGlobal("fetch", fetchMock);
    const r = await listTickets({ flagged: "true", limit: 100 });
    expect(calls(fetchMock)[0].url).toBe("/api/v1/tickets?flagged=true&limit=100");
    expect(r.items[0].abuse_flag_count).toBe(2);
  });

  it("lists, adds (reason only when given) and removes block list entries", async () => {
    setCsrf("tok");
    const entry = { id: 7, pattern: "@spam.example", reason: null, created_at: "2026-03-10T09:00:00Z", created_by: "Admin" };
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(json(200, { items: [entry] }))
      .mockResolvedValueOnce(json(201, entry))
      .mockResolvedValueOnce(json(201, { ...entry, id: 8, pattern: "a@b.example", reason: "Werbung" }))
      .mockResolvedValueOnce(json(204, null));
    vi.stubGlobal("fetch", fetchMock);
    expect(await listBlocklist()).toEqual([entry]);
    await addBlock(" @spam.example ", "  ");
    await addBlock("a@b.example", " Werbung ");
    await removeBlock(7);
    const c = calls(fetchMock);
    expect(c.map((x) => `${x.method} ${x.url}`)).toEqual([
      "GET /api/v1/admin/blocklist",
      "POST /api/v1/admin/blocklist",
      "POST /api/v1/admin/blocklist",
      "DELETE /api/v1/admin/blocklist/7",
    ]);
    expect(c[1].body).toEqual({ pattern: "@spam.example" });
    expect(c[2].body).toEqual({ pattern: "a@b.example", reason: "Werbung" });
    expect(c[3].headers["X-CSRF-Token"]).toBe("tok");
  });

  it("puts a refused add next to the field it concerns", () => {
    const dup = new ApiError(409, "blocklist_duplicate", { de: "Steht schon auf der Liste.", en: "Already listed." });
    expect(addErrors(dup)).toEqual({ pattern: "Steht schon auf der Liste.", reason: "", general: "" });
    const bad = new ApiError(422, "validation_failed", { de: "Ungültig.", en: "Invalid." }, { pattern: [{ de: "Kein gültiges Muster.", en: "Not a valid pattern." }] });
    expect(addErrors(bad).pattern).toBe("Kein gültiges Muster.");
    const long = new ApiError(422, "validation_failed", { de: "Ungültig.", en: "Invalid." }, { reason: [{ de: "Zu lang.", en: "Too long." }] });
    expect(addErrors(long)).toEqual({ pattern: "", reason: "Zu lang.", general: "" });
    expect(addErrors(new TypeError("x")).general).not.toBe("");
  });
});

describe("block list page", () => {
  it("shows a server error next to the pattern field, keeps the input, and removes only after the confirm step", async () => {
    setCsrf("tok");
    const entry = { id: 3, pattern: "@spam.example", reason: "Werbung", created_at: "2026-03-10T09:00:00Z", created_by: "user:4", created_by_name: "Admin Eins" };
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(json(200, { items: [entry] }))
      .mockResolvedValueOnce(json(409, { error: { status: 409, code: "blocklist_duplicate", message: { de: "Steht schon auf der Liste.", en: "Already listed." } } }))
      .mockResolvedValueOnce(json(204, null))
      .mockResolvedValueOnce(json(200, { items: [] }));
    vi.stubGlobal("fetch", fetchMock);
    const main = document.createElement("main");
    document.body.append(main);
    blocklistView().render(main);
    await flush();
    expect(main.querySelector("tbody")?.textContent).toContain("@spam.example");
    expect(main.querySelector("tbody")?.textContent).toContain("Admin Eins");
    expect(main.querySelector("tbody")?.textContent).not.toContain("user:4");

    const input = main.querySelector<HTMLInputElement>("#b-pattern")!;
    input.value = "@spam.example";
    input.dispatchEvent(new Event("input"));
    main.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await flush();
    await flush();
    const field = main.querySelector<HTMLInputElement>("#b-pattern")!;
    expect(main.querySelector("#b-pattern-error")?.textContent).toBe("Steht schon auf der Liste.");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(field.getAttribute("aria-describedby")).toContain("b-pattern-error");
    expect(field.value).toBe("@spam.example");
    expect(document.activeElement).toBe(field);

    main.querySelector<HTMLButtonElement>("#b-rm-3")!.click();
    expect(fetchMock).toHaveBeenCalledTimes(2); // nothing removed yet
    expect(main.textContent).toContain("„@spam.example“ wirklich von der Sperrliste entfernen?");
    expect(document.activeElement?.textContent).toBe("Ja, entfernen");
    [...main.querySelectorAll("button")].find((b) => b.textContent === "Abbrechen")!.click();
    expect(document.activeElement?.id).toBe("b-rm-3");
    expect(fetchMock).toHaveBeenCalledTimes(2);

    main.querySelector<HTMLButtonElement>("#b-rm-3")!.click();
    main.querySelector<HTMLButtonElement>("#b-yes-3")!.click();
    await flush();
    await flush();
    expect(calls(fetchMock)[2]).toMatchObject({ method: "DELETE", url: "/api/v1/admin/blocklist/3" });
    expect(main.querySelector("[role=status]")?.textContent).toBe("„@spam.example“ entfernt.");
    expect(main.textContent).toContain("Die Sperrliste ist leer.");
  });
});
