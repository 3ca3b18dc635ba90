import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../shared/i18n";
import type { StaffPhoto } from "../shared/types";
import {
  boxName,
  boxPercent,
  canSave,
  countBoxes,
  needsPrivacyReview,
  originalUrl,
  passNote,
  privacyEventDetail,
  privacyOf,
  redactBody,
  savesReview,
  stateText,
  type PrivacyBox,
} from "./privacy";

afterEach(() => setLang("de"));

const face = (id: number, x = 10): PrivacyBox => ({ id, x, y: 20, w: 40, h: 50, kind: "face", source: "auto", score: 0.9 });
const plate = (id: number): PrivacyBox => ({ id, x: 300, y: 400, w: 120, h: 26, kind: "plate", source: "auto", score: null });
const manual = (id: number): PrivacyBox => ({ id, x: 0, y: 0, w: 5, h: 5, kind: "manual", source: "manual", score: null });

function photo(privacy: unknown, extra: Record<string, unknown> = {}): StaffPhoto {
  return { id: 7, kind: "report", url: "/media/a-web.jpg", thumbnail_url: "/media/a-thumb.jpg", width: 1600, height: 1200, approved: false, privacy, ...extra } as StaffPhoto;
}

describe("a photo's privacy pass", () => {
  it("reads what the server sent, and a photo from before the pass (or an older server) as none", () => {
    expect(privacyOf(photo(undefined))).toEqual({ state: null, reason: null, boxes: [] });
    expect(privacyOf(photo({ state: "done", reason: null, boxes: [face(1), plate(2)] })).boxes).toHaveLength(2);
    expect(privacyOf(photo({ state: "weird", boxes: [{ ...face(1), w: 0 }] }))).toEqual({ state: null, reason: null, boxes: [] });
    expect(originalUrl(photo(null, { original_url: "/api/v1/staff/originals/x-web.jpg" }))).toBe("/api/v1/staff/originals/x-web.jpg");
    expect(originalUrl(photo(null, { original_url: null }))).toBeNull();
  });

  it("says its state: pending, failed with the reason, done with what it made unrecognisable", () => {
    expect(stateText(privacyOf(photo({ state: "pending", boxes: [] })))).toBe("Datenschutz-Prüfung läuft…");
    expect(stateText(privacyOf(photo({ state: "failed", reason: { de: "Zeit überschritten", en: "Timed out" }, boxes: [] })))).toBe(
      "Datenschutz-Prüfung fehlgeschlagen: Zeit überschritten",
    );
    expect(stateText(privacyOf(photo({ state: "failed", reason: null, boxes: [] })))).toContain("Fehler");
    expect(stateText(privacyOf(photo({ state: "done", boxes: [face(1), face(2), plate(3)] })))).toBe("2 Gesichter, 1 Kennzeichen unkenntlich gemacht");
    expect(stateText(privacyOf(photo({ state: "done", boxes: [face(1)] })))).toBe("1 Gesicht, 0 Kennzeichen unkenntlich gemacht");
    expect(stateText(privacyOf(photo({ state: "reviewed", boxes: [plate(1), manual(2)] })))).toBe(
      "Von der Moderation geprüft: 0 Gesichter, 1 Kennzeichen unkenntlich gemacht, 1 Bereich von Hand geschwärzt",
    );
    expect(stateText(privacyOf(photo(null)))).toBe("");
    setLang("en");
    expect(stateText(privacyOf(photo({ state: "done", boxes: [face(1), plate(2), plate(3)] })))).toBe("1 face, 2 number plates made unrecognisable");
    expect(stateText(privacyOf(photo({ state: "failed", reason: { de: "x", en: "Timed out" }, boxes: [] })))).toBe("Privacy check failed: Timed out");
  });

  it("counts without the boxes a moderator removes", () => {
    expect(countBoxes([face(1), face(2), plate(3), manual(4)], new Set([2, 4]))).toEqual({ faces: 1, plates: 1, manual: 0 });
  });

  it("marks a ticket with a failed citizen photo for moderation, not a crew's after photo", () => {
    expect(needsPrivacyReview({ photos: [photo({ state: "done", boxes: [] }), photo({ state: "failed", boxes: [] })] })).toBe(true);
    expect(needsPrivacyReview({ photos: [photo({ state: "failed", boxes: [] }, { kind: "after" })] })).toBe(false);
    expect(needsPrivacyReview({ photos: [] })).toBe(false);
  });

  it("shows a failed pass with its reason, the hint and a named retry button", () => {
    let called = 0;
    const el = passNote(photo({ state: "failed", reason: { de: "Modell fehlt", en: "Model missing" }, boxes: [] }), 2, () => called++)!;
    expect(el.textContent).toContain("Foto 2: Datenschutz-Prüfung fehlgeschlagen: Modell fehlt");
    expect(el.textContent).toContain("unveröffentlicht");
    const btn = el.querySelector("button")!;
    expect(btn.textContent).toBe("Erneut prüfen");
    expect(btn.getAttribute("aria-label")).toBe("Foto 2 erneut prüfen");
    btn.click();
    expect(called).toBe(1);
    expect(passNote(photo(null), 1, null)).toBeNull();
    expect(passNote(photo({ state: "pending", boxes: [] }), 1, null)!.textContent).toBe("Datenschutz-Prüfung läuft…");
  });
});

describe("the boxes in the black-out tool", () => {
  it("are placed in percent of the image, clamped to it", () => {
    expect(boxPercent({ x: 400, y: 300, w: 160, h: 120 }, { width: 1600, height: 1200 })).toEqual({ left: 25, top: 25, width: 10, height: 10 });
    expect(boxPercent({ x: -10, y: 1150, w: 30, h: 100 }, { width: 1600, height: 1200 })).toEqual({ left: 0, top: 95.833, width: 1.25, height: 4.167 });
    expect(boxPercent({ x: 0, y: 0, w: 10, h: 10 }, { width: 0, height: 0 })).toEqual({ left: 0, top: 0, width: 100, height: 100 });
  });

  it("are named by kind, numbered within it", () => {
    const all = [face(1), plate(2), face(3), manual(4)];
    expect(all.map((b) => boxName(b, all))).toEqual(["Gesicht 1", "Kennzeichen 1", "Gesicht 2", "Geschwärzter Bereich 1"]);
    setLang("en");
    expect(boxName(all[1], all)).toBe("Number plate 1");
  });

  it("are saved as the rectangles drawn and the boxes removed", () => {
    expect(redactBody([[1, 2, 3, 4]], [5, 2, 5])).toEqual({ rects: [[1, 2, 3, 4]], remove: [2, 5] });
    expect(redactBody([])).toEqual({ rects: [], remove: [] });
  });

  it("may be saved unchanged only to say a moderator checked a failed or unfinished pass", () => {
    const failed = privacyOf(photo({ state: "failed", boxes: [] }));
    const done = privacyOf(photo({ state: "done", boxes: [face(1)] }));
    expect(canSave(failed, 0, 0)).toBe(true);
    expect(canSave(privacyOf(photo({ state: "pending", boxes: [] })), 0, 0)).toBe(true);
    expect(canSave(done, 0, 0)).toBe(false);
    expect(canSave(done, 0, 1)).toBe(true);
    expect(canSave(privacyOf(photo(null)), 1, 0)).toBe(true);
    expect(canSave(privacyOf(photo(null)), 0, 0)).toBe(false);
    expect(savesReview(done, true)).toBe(true);
    expect(savesReview(failed, false)).toBe(true);
    expect(savesReview(privacyOf(photo({ state: "pending", boxes: [] })), false)).toBe(false);
  });
});

describe("the history", () => {
  const photoNumber = (id: number) => (id === 7 ? 2 : null);
  it("says what the pass found, or why it failed", () => {
    expect(privacyEventDetail({ kind: "privacy_pass", data: { photo_id: 7, faces: 2, plates: 1 } }, photoNumber)).toBe(
      "Foto 2: 2 Gesichter, 1 Kennzeichen unkenntlich gemacht",
    );
    expect(privacyEventDetail({ kind: "privacy_pass", data: { photo_id: 7, failed: "timeout" } }, photoNumber)).toBe(
      "Foto 2: fehlgeschlagen: Die Prüfung hat zu lange gedauert.",
    );
    setLang("en");
    expect(privacyEventDetail({ kind: "privacy_pass", data: { photo_id: 9, failed: "model_missing" } }, photoNumber)).toBe(
      "failed: The detection model is missing on the server.",
    );
  });
  it("says what a redaction added and removed", () => {
    expect(privacyEventDetail({ kind: "redacted", data: { photo_id: 7, rects: [[1, 2, 3, 4]], removed: [3, 4] } }, photoNumber)).toBe(
      "Foto 2: 1 Bereich geschwärzt, 2 Bereiche nicht mehr unkenntlich",
    );
    expect(privacyEventDetail({ kind: "redacted", data: { photo_id: 7, rects: [[1, 2, 3, 4]] } }, photoNumber)).toBe("Foto 2: 1 Bereich geschwärzt");
    expect(privacyEventDetail({ kind: "redacted", data: { photo_id: 7, rects: [], removed: [] } }, photoNumber)).toBe("Foto 2: geprüft, unverändert");
    setLang("en");
    expect(privacyEventDetail({ kind: "redacted", data: { rects: [], removed: [1] } })).toBe("1 area no longer unrecognisable");
  });
  it("leaves other kinds alone", () => {
    expect(privacyEventDetail({ kind: "note", data: null })).toBeNull();
  });
});
