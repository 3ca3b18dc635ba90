import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { allPages, exportUrl, listTickets, nextCursor, setCsrf } from "./api";
import { moderationView } from "./moderation";

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrf(null);
  setLang("de");
  document.body.replaceChildren();
});

function json(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json", ...headers } });
}
const urls = (m: ReturnType<typeof vi.fn>) => (m.mock.calls as unknown as [string][]).map(([url]) => url);
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
};

function ticket(id: string) {
  return {
    public_id: id,
    status: "new",
    category: { code: "schlagloch", name: { de: "Schlagloch", en: "Pothole" } },
    department: { code: "tiefbau", name: { de: "Tiefbauamt", en: "Civil Engineering" } },
    description: `Loch ${id}`,
    public_description: null,
    published: false,
    lat: 50.1,
    lon: 8.76,
    created_at: "2026-03-10T09:00:00Z",
    deadline: "2026-03-12T09:00:00Z",
    version: 1,
    allowed_next: [],
    sla: { state: "ok", deadline: "2026-03-12T09:00:00Z", at_risk_at: null },
    assignee: null,
    zones: [],
    photos: [],
    history: [],
    abuse_flags: [],
  };
}

describe("paging", () => {
  it("asks the queue for the page after a cursor and reports the next one and a capped count", async () => {
    const fetchMock = vi.fn(async () => json({ items: [ticket("2026-000003")], total: 1000, total_capped: true, next_cursor: "c2" }));
    vi.stubGlobal("fetch", fetchMock);
    const page = await listTickets({ status: "new", limit: 50, cursor: "c1" });
    expect(urls(fetchMock)).toEqual(["/api/v1/tickets?status=new&limit=50&cursor=c1"]);
    expect(page).toMatchObject({ total: 1000, capped: true, next: "c2" });
    fetchMock.mockResolvedValueOnce(json({ items: [], total: 0 }));
    expect(await listTickets({ cursor: null })).toMatchObject({ items: [], total: 0, capped: false, next: null });
    expect(urls(fetchMock)[1]).toBe("/api/v1/tickets");
    // a download starts at the beginning of the filter, whatever page is on screen
    expect(exportUrl({ status: "new", limit: 50, cursor: "c2" }, "geojson")).toBe("/api/v1/tickets?status=new&format=geojson");
  });

  it("follows the cursor of the Link header through every page, whatever host the link names", async () => {
    expect(nextCursor('<https://stadt.example/api/v1/admin/users?limit=2&cursor=abc>; rel="next"')).toBe("abc");
    expect(nextCursor('<https://x/l.csv>; rel="license"; title="DL-DE"')).toBeNull();
    expect(nextCursor(null)).toBeNull();
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(json([{ id: 1 }, { id: 2 }], { Link: '<http://other.host/api/v1/admin/users?cursor=p2>; rel="next"' }))
      .mockResolvedValueOnce(json([{ id: 3 }]));
    vi.stubGlobal("fetch", fetchMock);
    expect(await allPages<{ id: number }>("/api/v1/admin/users")).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(urls(fetchMock)).toEqual(["/api/v1/admin/users", "/api/v1/admin/users?cursor=p2"]);
  });

  it("moderation shows a page and loads the next with 'Weitere laden', focusing the first new report", async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url === "/api/v1/tickets?published=false&limit=30") return json({ items: [ticket("2026-000001")], total: 2, next_cursor: "c1" });
      if (url === "/api/v1/tickets?published=false&limit=30&cursor=c1") return json({ items: [ticket("2026-000002")], total: 2, next_cursor: null });
      const id = url.split("/").pop() as string;
      return json(ticket(id), { ETag: '"1"' });
    });
    vi.stubGlobal("fetch", fetchMock);
    const main = document.createElement("main");
    document.body.append(main);
    const view = moderationView();
    view.render(main);
    await flush();
    expect([...main.querySelectorAll("article h3")].map((e) => e.textContent)).toEqual([expect.stringContaining("2026-000001")]);
    const more = [...main.querySelectorAll("button")].find((b) => b.textContent === "Weitere laden");
    expect(more).toBeDefined();
    more!.click();
    await flush();
    expect(urls(fetchMock)).toContain("/api/v1/tickets?published=false&limit=30&cursor=c1");
    const titles = [...main.querySelectorAll("article h3 a")];
    expect(titles.map((e) => e.textContent)).toEqual([expect.stringContaining("2026-000001"), expect.stringContaining("2026-000002")]);
    expect(document.activeElement).toBe(titles[1]);
    expect([...main.querySelectorAll("button")].some((b) => b.textContent === "Weitere laden")).toBe(false);
    view.destroy?.();
  });

  it("says 'Load more' in English", async () => {
    setLang("en");
    const { st } = await import("./i18n");
    expect(st("loadMore")).toBe("Load more");
    expect(st("queueShownCapped", { shown: 100, n: 1000 })).toBe("100 of more than 1000 reports shown");
  });
});
