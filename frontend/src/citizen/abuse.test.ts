import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError } from "../shared/api";
import { setLang } from "../shared/i18n";
import type { AbuseReceipt } from "../shared/types";
import { abuseDialog, abuseErrorText } from "./abuse";

afterEach(() => {
  document.body.replaceChildren();
  setLang("de");
});

const receipt: AbuseReceipt = { received: true, message: { de: "Danke, wir prüfen die Meldung.", en: "Thank you, we will check the report." } };
const flush = () => new Promise((r) => setTimeout(r, 0));

function setup(send = vi.fn(async () => receipt)) {
  const opener = document.createElement("button");
  opener.textContent = "Missbrauch melden";
  document.body.append(opener);
  opener.focus();
  const dialog = abuseDialog("2026-000042", opener, send);
  const isOpen = () => dialog.el.open || dialog.el.hasAttribute("open");
  const submit = () => dialog.el.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
  const radio = (reason: string) => dialog.el.querySelector<HTMLInputElement>(`#abuse-r-${reason}`)!;
  return { opener, dialog, send, isOpen, submit, radio };
}

describe("abuse dialog", () => {
  it("moves the focus in, offers the five reasons with labels, and sends reason and comment", async () => {
    const { dialog, send, isOpen, submit, radio } = setup();
    dialog.open();
    expect(isOpen()).toBe(true);
    expect(dialog.el.contains(document.activeElement)).toBe(true);
    const labels = [...dialog.el.querySelectorAll("input[type=radio]")].map((r) => (r as HTMLInputElement).labels?.[0]?.textContent);
    expect(labels).toEqual(["Beleidigend oder anstößig", "Enthält persönliche Daten", "Werbung oder Spam", "Falscher Ort", "Anderer Grund"]);
    expect(dialog.el.querySelector("legend")?.textContent).toBe("Grund");

    radio("personal_data").click();
    const ta = dialog.el.querySelector<HTMLTextAreaElement>("#abuse-comment")!;
    expect(ta.maxLength).toBe(500);
    ta.value = "Kennzeichen lesbar";
    ta.dispatchEvent(new Event("input"));
    submit();
    await flush();
    expect(send).toHaveBeenCalledWith("2026-000042", "personal_data", "Kennzeichen lesbar");
    // the server's message, and the focus on "Schließen"
    expect(dialog.el.querySelector("[role=status]")?.textContent).toBe("Danke, wir prüfen die Meldung.");
    expect(document.activeElement?.textContent).toBe("Schließen");
  });

  it("asks for a reason before sending anything", async () => {
    const { dialog, send, submit } = setup();
    dialog.open();
    submit();
    await flush();
    expect(send).not.toHaveBeenCalled();
    expect(dialog.el.querySelector("[role=alert]")?.textContent).toBe("Bitte einen Grund wählen.");
  });

  it("says to try later, with the wait, on 429; the choice stays", async () => {
    const limited = new ApiError(429, "rate_limited", { de: "Zu viele", en: "Too many" }, {}, 120);
    const send = vi.fn().mockRejectedValueOnce(limited).mockResolvedValueOnce(receipt);
    const { dialog, submit, radio } = setup(send);
    dialog.open();
    radio("spam").click();
    submit();
    await flush();
    expect(dialog.el.querySelector("[role=alert]")?.textContent).toBe("Zu viele Hinweise von diesem Gerät. Bitte versuchen Sie es in 2 Minuten erneut.");
    expect(radio("spam").checked).toBe(true);
    submit();
    await flush();
    expect(send).toHaveBeenCalledTimes(2);
    expect(send.mock.calls[1]).toEqual(["2026-000042", "spam", ""]);
  });

  it("closes on Escape and on Abbrechen, and gives the focus back to the opener", async () => {
    const { opener, dialog, isOpen } = setup();
    dialog.open();
    const esc = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    dialog.el.querySelector("input")!.dispatchEvent(esc);
    if (typeof dialog.el.showModal === "function") dialog.el.close(); // the browser's own Escape handling
    await flush();
    expect(isOpen()).toBe(false);
    expect(document.activeElement).toBe(opener);

    dialog.open();
    expect(dialog.el.contains(document.activeElement)).toBe(true);
    [...dialog.el.querySelectorAll("button")].find((b) => b.textContent === "Abbrechen")!.click();
    await flush();
    expect(isOpen()).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it("words the errors in the current language", () => {
    setLang("en");
    expect(abuseErrorText(new ApiError(429, "x", { de: "", en: "" }, {}, 1))).toBe("Too many notices from this device. Please try again in a second.");
    expect(abuseErrorText(new ApiError(429, "x", { de: "", en: "" }))).toBe("Too many notices from this device. Please try again later.");
    expect(abuseErrorText(new ApiError(404, "not_found", { de: "Nicht gefunden", en: "Not found" }))).toBe("Not found");
    expect(abuseErrorText(new NetworkError())).toBe("No connection to the server.");
  });
});
