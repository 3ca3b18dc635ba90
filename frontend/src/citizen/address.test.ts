import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../shared/i18n";
import { addressSearch, resultsText, type AddressSearch } from "./address";
import type { Address } from "../shared/types";

const addr = (label: string, lat = 50.1, lon = 8.76): Address => ({
  label,
  street: label.split(" ")[0],
  house_number: "1",
  postcode: "60311",
  place: "Musterstadt",
  lat,
  lon,
  precision: "house",
  distance_m: null,
});

const FOUND = [addr("Hauptstraße 1"), addr("Hauptstraße 2", 50.2, 8.8), addr("Hauptstraße 3")];

let widget: AddressSearch;
let picked: Address[];
let search: ReturnType<typeof vi.fn<(text: string) => Promise<Address[]>>>;

function make(result: Promise<Address[]> | (() => Promise<Address[]>) = Promise.resolve(FOUND)): void {
  picked = [];
  search = vi.fn((_text: string) => (typeof result === "function" ? result() : result));
  widget = addressSearch({ id: "a", search, onPick: (a) => picked.push(a), delayMs: 0 });
  document.body.append(widget.el);
}

const input = () => widget.input;
const list = () => document.getElementById("a-list")!;
const options = () => Array.from(list().querySelectorAll<HTMLElement>("[role=option]"));
const status = () => widget.el.querySelector("[role=status]")!.textContent;
const key = (k: string, extra: KeyboardEventInit = {}) => input().dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...extra }));

async function type(text: string): Promise<void> {
  input().value = text;
  input().dispatchEvent(new Event("input"));
  await vi.runAllTimersAsync();
}

beforeEach(() => {
  vi.useFakeTimers();
  document.body.replaceChildren();
});
afterEach(() => {
  vi.useRealTimers();
  setLang("de");
});

describe("the address search combobox", () => {
  it("is a labelled combobox controlling a listbox, closed at first", () => {
    make();
    expect(input().getAttribute("role")).toBe("combobox");
    expect(input().getAttribute("aria-autocomplete")).toBe("list");
    expect(input().getAttribute("aria-expanded")).toBe("false");
    expect(input().getAttribute("aria-controls")).toBe("a-list");
    expect(list().getAttribute("role")).toBe("listbox");
    expect(list().hidden).toBe(true);
    expect(document.querySelector("label[for=a]")!.textContent).toBe("Adresse suchen");
  });

  it("searches what was typed, opens the list and announces how many were found", async () => {
    make();
    await type("Hauptstr");
    expect(search).toHaveBeenCalledWith("Hauptstr");
    expect(input().getAttribute("aria-expanded")).toBe("true");
    expect(list().hidden).toBe(false);
    expect(options().map((o) => o.textContent)).toEqual(["Hauptstraße 1", "Hauptstraße 2", "Hauptstraße 3"]);
    expect(status()).toBe("3 Adressen gefunden. Mit den Pfeiltasten auswählen.");
  });

  it("does not search two characters", async () => {
    make();
    await type("Ha");
    expect(search).not.toHaveBeenCalled();
    expect(input().getAttribute("aria-expanded")).toBe("false");
  });

  it("moves through the options with the arrow keys, wrapping, and picks with Enter", async () => {
    make();
    await type("Hauptstr");
    key("ArrowDown");
    expect(input().getAttribute("aria-activedescendant")).toBe(options()[0].id);
    expect(options()[0].getAttribute("aria-selected")).toBe("true");
    key("ArrowDown");
    key("ArrowDown");
    key("ArrowDown");
    expect(input().getAttribute("aria-activedescendant")).toBe(options()[0].id);
    key("ArrowUp");
    expect(input().getAttribute("aria-activedescendant")).toBe(options()[2].id);
    key("ArrowUp");
    expect(options().filter((o) => o.getAttribute("aria-selected") === "true").map((o) => o.textContent)).toEqual(["Hauptstraße 2"]);
    const enter = new KeyboardEvent("keydown", { key: "Enter", cancelable: true });
    input().dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    expect(picked).toEqual([FOUND[1]]);
    expect(input().value).toBe("Hauptstraße 2");
    expect(input().getAttribute("aria-expanded")).toBe("false");
    expect(input().hasAttribute("aria-activedescendant")).toBe(false);
    expect(status()).toBe("Ort gesetzt: Hauptstraße 2");
  });

  it("picks nothing on Enter without an active option", async () => {
    make();
    await type("Hauptstr");
    key("Enter");
    expect(picked).toEqual([]);
  });

  it("picks an option by click", async () => {
    make();
    await type("Hauptstr");
    options()[2].click();
    expect(picked).toEqual([FOUND[2]]);
  });

  it("closes with Escape, then clears with a second Escape", async () => {
    make();
    await type("Hauptstr");
    key("Escape");
    expect(input().getAttribute("aria-expanded")).toBe("false");
    expect(input().value).toBe("Hauptstr");
    key("ArrowDown"); // opens again on the results
    expect(input().getAttribute("aria-expanded")).toBe("true");
    key("Escape");
    key("Escape");
    expect(input().value).toBe("");
  });

  it("says so when nothing is found, and when the search fails", async () => {
    make(Promise.resolve([]));
    await type("Nirgendwo");
    expect(status()).toBe("Keine Adresse gefunden.");
    expect(input().getAttribute("aria-expanded")).toBe("false");
    widget.el.remove();
    make(() => Promise.reject(new Error("offline")));
    await type("Hauptstr");
    expect(status()).toContain("nicht erreichbar");
    expect(input().getAttribute("aria-expanded")).toBe("false");
  });

  it("shows only the answer to the latest text", async () => {
    let resolveFirst: (a: Address[]) => void = () => undefined;
    const first = new Promise<Address[]>((r) => (resolveFirst = r));
    const answers = [first, Promise.resolve([FOUND[2]])];
    make(() => answers.shift()!);
    await type("Haupt");
    await type("Hauptstraße 3");
    resolveFirst(FOUND);
    await vi.runAllTimersAsync();
    expect(options().map((o) => o.textContent)).toEqual(["Hauptstraße 3"]);
  });

  it("announces in English too", () => {
    setLang("en");
    expect(resultsText(2)).toBe("2 addresses found. Choose one with the arrow keys.");
    expect(resultsText(1)).toBe("1 address found. Choose it with the arrow keys.");
    expect(resultsText(0)).toBe("No address found.");
  });
});
