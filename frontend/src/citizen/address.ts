/**
 * The address search on the place step: an editable combobox with a list popup (WAI-ARIA APG),
 * so a citizen can choose the place by typing, with the keyboard alone and a screen reader.
 */
import { h } from "../shared/dom";
import type { Address } from "../shared/types";
import { t } from "./i18n";

export interface AddressSearchOptions {
  /** The input's id; the list and the help text take ids derived from it. */
  id: string;
  search: (text: string) => Promise<Address[]>;
  onPick: (address: Address) => void;
  /** Milliseconds after the last keystroke before searching. */
  delayMs?: number;
  /** Fewer characters than this are not searched. */
  minChars?: number;
}

export interface AddressSearch {
  el: HTMLElement;
  input: HTMLInputElement;
  /** Stop a pending search (leaving the step). */
  destroy(): void;
}

/** The announcement for a result list of n addresses. */
export function resultsText(n: number): string {
  if (n === 0) return t("addressNone");
  return n === 1 ? t("addressResultOne") : t("addressResults", { n });
}

export function addressSearch(opts: AddressSearchOptions): AddressSearch {
  const { id, delayMs = 250, minChars = 3 } = opts;
  const listId = `${id}-list`;
  const input = h("input", {
    id,
    type: "text",
    role: "combobox",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    enterkeyhint: "search",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    "aria-describedby": `${id}-help`,
  });
  const list = h("ul", { id: listId, role: "listbox", class: "combo-list", "aria-label": t("addressSearch"), hidden: true });
  const status = h("p", { class: "hint combo-status", role: "status", "aria-live": "polite" });
  let items: Address[] = [];
  let active = -1;
  let timer = 0;
  let seq = 0;

  const optionId = (i: number) => `${id}-opt-${i}`;

  function setActive(i: number): void {
    active = i;
    list.querySelectorAll<HTMLElement>("[role=option]").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", optionId(i));
      (list.children[i] as HTMLElement | undefined)?.scrollIntoView?.({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open(): void {
    if (!items.length) return;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close(): void {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function pick(a: Address): void {
    input.value = a.label;
    window.clearTimeout(timer);
    seq++;
    close();
    status.textContent = t("addressPicked", { address: a.label });
    opts.onPick(a);
  }

  function show(found: Address[]): void {
    items = found;
    list.replaceChildren(
      ...found.map((a, i) => {
        const li = h("li", { id: optionId(i), role: "option", class: "combo-option", "aria-selected": "false" }, a.label);
        // Keep the focus in the input (no blur that would close the list before the click).
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => pick(a));
        return li;
      }),
    );
    status.textContent = resultsText(found.length);
    setActive(-1);
    if (found.length) open();
    else close();
  }

  async function run(text: string): Promise<void> {
    const mine = ++seq;
    try {
      const found = await opts.search(text);
      if (mine === seq) show(found);
    } catch {
      if (mine !== seq) return;
      items = [];
      list.replaceChildren();
      close();
      status.textContent = t("addressFailed");
    }
  }

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < minChars) {
      seq++;
      items = [];
      list.replaceChildren();
      close();
      status.textContent = "";
      return;
    }
    timer = window.setTimeout(() => void run(text), delayMs);
  });

  input.addEventListener("keydown", (e) => {
    const n = items.length;
    switch (e.key) {
      case "ArrowDown":
        if (!n) return;
        e.preventDefault();
        if (list.hidden) {
          open();
          if (!e.altKey) setActive(0);
        } else {
          setActive((active + 1) % n);
        }
        break;
      case "ArrowUp":
        if (!n) return;
        e.preventDefault();
        if (list.hidden) open();
        setActive(active <= 0 ? n - 1 : active - 1);
        break;
      case "Enter":
        if (!list.hidden && active >= 0) {
          e.preventDefault();
          pick(items[active]);
        }
        break;
      case "Escape":
        if (!list.hidden) {
          e.preventDefault();
          close();
        } else if (input.value) {
          e.preventDefault();
          input.value = "";
          items = [];
          list.replaceChildren();
          status.textContent = "";
        }
        break;
    }
  });
  input.addEventListener("blur", close);

  const el = h(
    "div",
    { class: "field combo" },
    h("label", { for: id }, t("addressSearch")),
    h("p", { id: `${id}-help`, class: "hint" }, t("addressSearchHelp")),
    h("div", { class: "combo-box" }, input, list),
    status,
  );
  return {
    el,
    input,
    destroy() {
      window.clearTimeout(timer);
      seq++;
    },
  };
}
