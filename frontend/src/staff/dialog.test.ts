// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { h } from "../shared/dom";
import { setLang } from "../shared/i18n";
import { confirmDialog } from "./dialog";
import { confirmStateChange } from "./second-look";

afterEach(() => {
  setLang("de");
  document.body.replaceChildren();
});

function opener(): HTMLButtonElement {
  const b = h("button", { type: "button" }, "Abgelehnt");
  document.body.append(b);
  b.focus();
  return b;
}

const dialog = () => document.querySelector("dialog")!;

describe("confirmDialog", () => {
  it("moves focus in to the safe choice, labels itself, and confirms", async () => {
    const b = opener();
    const p = confirmDialog({ title: "Wirklich?", body: ["Das geht an die meldende Person."], confirm: "Ja" });
    const d = dialog();
    expect(d.hasAttribute("open")).toBe(true);
    expect(document.getElementById(d.getAttribute("aria-labelledby")!)!.textContent).toBe("Wirklich?");
    expect(document.getElementById(d.getAttribute("aria-describedby")!)!.textContent).toContain("meldende Person");
    expect(document.activeElement?.textContent).toBe("Abbrechen");
    [...d.querySelectorAll("button")].find((x) => x.textContent === "Ja")!.click();
    await expect(p).resolves.toBe(true);
    expect(document.querySelector("dialog")).toBeNull();
    expect(document.activeElement).toBe(b);
  });
  it("Escape cancels and gives focus back", async () => {
    const b = opener();
    const p = confirmDialog({ title: "T", body: [], confirm: "Ja" });
    dialog().dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await expect(p).resolves.toBe(false);
    expect(document.querySelector("dialog")).toBeNull();
    expect(document.activeElement).toBe(b);
  });
  it("the cancel button answers no, in English too", async () => {
    setLang("en");
    opener();
    const p = confirmDialog({ title: "T", body: [], confirm: "Yes" });
    const cancel = document.activeElement as HTMLButtonElement;
    expect(cancel.textContent).toBe("Cancel");
    cancel.click();
    await expect(p).resolves.toBe(false);
  });
});

describe("confirmStateChange", () => {
  it("shows the public note the reporter will read, and the new status", async () => {
    opener();
    const p = confirmStateChange({ public_id: "2026-000007", reporter_email: "a@example.org" }, "rejected", "Privatgrund, bitte an den Eigentümer wenden.");
    const d = dialog();
    expect(d.querySelector("h2")!.textContent).toBe("Meldung 2026-000007 ablehnen?");
    expect(d.querySelector("blockquote")!.textContent).toBe("Privatgrund, bitte an den Eigentümer wenden.");
    expect(d.textContent).toContain("Neuer Status: Abgelehnt");
    expect(d.textContent).not.toContain("keine E-Mail-Adresse");
    (document.activeElement as HTMLButtonElement).click();
    await expect(p).resolves.toBe(false);
  });
  it("says when the reporter learns only the status", async () => {
    setLang("en");
    opener();
    const p = confirmStateChange({ public_id: "X", reporter_email: null }, "resolved", "");
    const d = dialog();
    expect(d.querySelector("h2")!.textContent).toBe("Mark report X as resolved?");
    expect(d.textContent).toContain("No public note");
    expect(d.textContent).toContain("No e-mail address");
    d.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    await expect(p).resolves.toBe(false);
  });
});
