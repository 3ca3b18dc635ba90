import { afterEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import type { NearbyReport, Report } from "../shared/types";
import { ageText, hasEvidence, nearbyReports, nearbyScreen, reportSummary, SUPPORT_COMMENT_MAX, supportBody } from "./nearby";
import { entryTitle, historyList } from "./track";

afterEach(() => {
  document.body.replaceChildren();
  setLang("de");
  vi.unstubAllGlobals();
});

const base = {
  public_id: "2026-000007",
  status: "new",
  status_label: { de: "Neu", en: "New" },
  category: { code: "schlagloch", name: { de: "Schlagloch", en: "Pothole" }, group: "strasse" },
  distance_m: 12.4,
  created_at: "2026-03-08T09:00:00Z",
  photos: [],
} as unknown as NearbyReport;

const published = {
  ...base,
  public_id: "2026-000008",
  published: true,
  description: "Tiefes Loch",
  photos: [{ kind: "report", url: "/media/a-web.jpg", thumbnail_url: "/media/a-thumb.jpg", width: 800, height: 600 }],
} as unknown as NearbyReport;
const unchecked = { ...base, published: false, description: null } as unknown as NearbyReport;

describe("nearby check", () => {
  it("asks the server for the category around the place, and goes on without a list when it cannot", async () => {
    const fetch = vi.fn(async () => ({ items: [published] }));
    expect(await nearbyReports(50.1, 8.7, "schlagloch", true, fetch)).toEqual([published]);
    expect(fetch).toHaveBeenCalledWith(50.1, 8.7, "schlagloch", 50);

    const failing = vi.fn(async () => {
      throw new Error("offline");
    });
    expect(await nearbyReports(50.1, 8.7, "schlagloch", true, failing)).toEqual([]);
    const never = vi.fn(async () => ({ items: [published] }));
    expect(await nearbyReports(50.1, 8.7, "schlagloch", false, never)).toEqual([]);
    expect(await nearbyReports(null, null, "schlagloch", true, never)).toEqual([]);
    expect(never).not.toHaveBeenCalled();
  });

  it("shows photo and text of a published report, and says an unpublished one is not checked yet", () => {
    expect(hasEvidence(published)).toBe(true);
    expect(hasEvidence(unchecked)).toBe(false);
    const shown = reportSummary(published, "n-0");
    expect(shown.querySelector("img")?.getAttribute("src")).toBe("/media/a-thumb.jpg");
    expect(shown.querySelector("img")?.getAttribute("alt")).toBe("Foto zu Vorgang 2026-000008");
    expect(shown.textContent).toContain("Tiefes Loch");
    expect(shown.textContent).not.toContain("Noch nicht geprüft");

    const bare = reportSummary(unchecked, "n-1");
    expect(bare.querySelector("img")).toBeNull();
    expect(bare.textContent).toContain("Noch nicht geprüft");
    expect(bare.textContent).toContain("Schlagloch");
    expect(bare.textContent).toContain("12 m entfernt");
  });

  it("tells the age in words", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(ageText("2026-03-10T08:00:00Z", now)).toBe("heute gemeldet");
    expect(ageText("2026-03-09T08:00:00Z", now)).toBe("gestern gemeldet");
    expect(ageText("2026-03-05T08:00:00Z", now)).toBe("vor 5 Tagen gemeldet");
    setLang("en");
    expect(ageText("2026-03-05T08:00:00Z", now)).toBe("reported 5 days ago");
    expect(ageText(undefined, now)).toBe("");
  });
});

describe("support body", () => {
  it("is JSON without a photo, leaving out what is empty", () => {
    expect(supportBody({ comment: "  ", email: "", photo: null }, "de")).toEqual({ lang: "de" });
    const long = "x".repeat(SUPPORT_COMMENT_MAX + 20);
    expect(supportBody({ comment: ` ${long} `, email: " a@example.org ", photo: null }, "en")).toEqual({
      lang: "en",
      comment: "x".repeat(SUPPORT_COMMENT_MAX),
      email: "a@example.org",
    });
  });

  it("is multipart with the photo as the one file `photos`", () => {
    const photo = new Blob([new Uint8Array([0xff, 0xd8])], { type: "image/jpeg" });
    const body = supportBody({ comment: "Auch gesehen", email: "", photo }, "de");
    expect(body).toBeInstanceOf(FormData);
    const form = body as FormData;
    expect(form.get("comment")).toBe("Auch gesehen");
    expect(form.get("lang")).toBe("de");
    expect(form.getAll("photos")).toHaveLength(1);
    expect(form.has("email")).toBe(false);
  });
});

describe("nearby screen", () => {
  it("opens one report's support form, sends its comment and says the city checks it", async () => {
    const answer = { ...published, supporters: 1 } as unknown as Report;
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(answer), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    const root = document.createElement("section");
    document.body.append(root);
    const supported = vi.fn();
    const none = vi.fn();
    nearbyScreen([published, unchecked], { root, heading: (text) => Object.assign(document.createElement("h2"), { textContent: text }), back: vi.fn(), none, supported });

    const buttons = [...root.querySelectorAll<HTMLButtonElement>("button")].filter((b) => b.textContent === "Unterstützen");
    expect(buttons).toHaveLength(2);
    const forms = root.querySelectorAll<HTMLFormElement>("form");
    expect([...forms].every((f) => f.hidden)).toBe(true);
    buttons[0].click();
    expect(forms[0].hidden).toBe(false);
    expect(forms[1].hidden).toBe(true);
    expect(buttons[0].getAttribute("aria-expanded")).toBe("true");

    const comment = forms[0].querySelector<HTMLTextAreaElement>("textarea")!;
    comment.value = "Seit gestern tiefer";
    comment.dispatchEvent(new Event("input"));
    forms[0].dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(supported).toHaveBeenCalled());
    expect(supported).toHaveBeenCalledWith(answer, true);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/reports/2026-000008/support");
    expect(JSON.parse(init.body as string)).toEqual({ lang: "de", comment: "Seit gestern tiefer" });

    [...root.querySelectorAll<HTMLButtonElement>("button")].find((b) => b.textContent === "Nein, neu melden")!.click();
    expect(none).toHaveBeenCalled();
  });
});

describe("the reporter's history", () => {
  it("shows their own reopen note, labelled as theirs", () => {
    const entries = [
      { at: "2026-03-10T09:00:00Z", kind: "status", from_status: "acknowledged", to_status: "resolved", note: "Verfüllt", your_note: null },
      { at: "2026-03-11T09:00:00Z", kind: "reopened", from_status: "resolved", to_status: "acknowledged", note: null, your_note: "Das Loch ist wieder da." },
    ];
    const list = historyList(entries, "h");
    const items = list.querySelectorAll("li");
    expect(items[0].textContent).toContain("Verfüllt");
    expect(items[0].textContent).not.toContain("Ihre Anmerkung");
    expect(items[1].textContent).toContain("Ihre Anmerkung: Das Loch ist wieder da.");
    expect(entryTitle(entries[1])).toBe("Von Ihnen wieder geöffnet → Angenommen");
    expect(entryTitle({ ...entries[1], your_note: undefined })).toBe("Angenommen");
  });
});
