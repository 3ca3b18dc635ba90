/** The admin screens' building blocks: a section, labelled fields, a table, a department list, a kept form. */
import { ApiError } from "../../shared/api";
import { carryValues, h, keepingFocus } from "../../shared/dom";
import { lang, pick, type Lang } from "../../shared/i18n";
import type { Department } from "../../shared/types";
import { st, type StaffKey } from "../i18n";
import { errorText } from "../shell";

export type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** One screen of "Verwaltung": drawn at once, filled in when its data has loaded. */
export interface Section {
  root: HTMLElement;
  draw(): void;
  load(): Promise<void>;
}

export function field(id: string, label: string, input: HTMLElement, cls = "field"): HTMLElement {
  input.id = id;
  return h("div", { class: cls }, h("label", { for: id }, label), input);
}
export function check(id: string, label: string, checked = false): [HTMLElement, HTMLInputElement] {
  const cb = h("input", { type: "checkbox", id, checked });
  return [h("div", { class: "field check" }, cb, h("label", { for: id }, label)), cb];
}
export function text(required = false, value = ""): HTMLInputElement {
  return h("input", { type: "text", required, value });
}
export function section(key: StaffKey, id: string): { root: HTMLElement; body: HTMLElement } {
  const body = h("div", {});
  const root = h("section", { class: "admin-section", "aria-labelledby": `${id}-h` }, h("h3", { id: `${id}-h` }, st(key)), body);
  return { root, body };
}
export function table(caption: string, head: string[], rows: (Node | string)[][]): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
    ),
  );
}
export function deptOptions(list: Department[], value = "", withEmpty = true): HTMLSelectElement {
  const sel = h("select", {}, withEmpty ? h("option", { value: "" }, "—") : null, ...list.map((d) => h("option", { value: d.code }, pick(d.name))));
  sel.value = value;
  return sel;
}
export const yesNo = (b: boolean) => st(b ? "yes" : "no");

/** A section's create or edit form that outlives the section's redraws. */
export interface KeptForm {
  /**
   * The form as it stands: built on first use; built again, with what was typed, the refusal and
   * the caret carried over, only when the language changed or `refresh` asked for it (new options).
   */
  current(): HTMLFormElement;
  /** The form's choices changed (say, the departments arrived): the next `current` rebuilds it. */
  refresh(): void;
  /**
   * A refused submit: the server's message beside the form, every value kept, the fields it names
   * marked, focus on the first of them or else on the message.
   */
  refuse(err: unknown): void;
  /** After a success: an empty form in the filled one's place. */
  reset(): void;
}

/**
 * `build` makes the form; its fields carry ids (what is carried over) and, where the server names
 * a field in a refusal, that field's name as `name` (what is marked and focused).
 */
export function keptForm(build: () => HTMLFormElement, describe: (err: unknown) => string = errorText): KeptForm {
  let form: HTMLFormElement | null = null;
  let builtFor: Lang | null = null;
  let stale = false;
  let refusal: { err: unknown } | null = null;

  const note = (f: HTMLFormElement) => f.querySelector<HTMLElement>(":scope > .form-refusal")!;

  function make(): HTMLFormElement {
    const f = build();
    f.append(h("p", { class: "field-error form-refusal", role: "alert", tabindex: "-1" }));
    builtFor = lang();
    stale = false;
    return f;
  }

  /** The refusal's text and marks on the form as it stands; the first named field, or null. */
  function mark(f: HTMLFormElement): HTMLElement | null {
    note(f).textContent = refusal ? describe(refusal.err) : "";
    const named = refusal && refusal.err instanceof ApiError ? Object.keys(refusal.err.fields) : [];
    let first: HTMLElement | null = null;
    for (const el of f.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("input, select, textarea")) {
      const wrong = !!el.name && named.includes(el.name);
      if (wrong) el.setAttribute("aria-invalid", "true");
      else el.removeAttribute("aria-invalid");
      if (wrong && !first) first = el;
    }
    return first;
  }

  function replace(next: HTMLFormElement): void {
    const old = form!;
    form = next;
    keepingFocus(old.parentElement ?? old, () => old.replaceWith(next));
  }

  const kept: KeptForm = {
    current() {
      if (!form) {
        form = make();
      } else if (stale || builtFor !== lang()) {
        const next = make();
        carryValues(form, next);
        replace(next);
        mark(next);
      }
      return form;
    },
    refresh() {
      stale = true;
    },
    refuse(err) {
      refusal = { err };
      const f = kept.current();
      (mark(f) ?? note(f)).focus();
    },
    reset() {
      refusal = null;
      if (form) replace(make());
    },
  };
  return kept;
}

/** A section's body laid out once (`parts`); later calls leave it alone, so forms in it stay put. */
export function placeOnce(body: HTMLElement, parts: () => (Node | string)[]): () => void {
  let placed = false;
  return () => {
    if (placed) return;
    placed = true;
    body.replaceChildren(...parts());
  };
}

/** Put `el` as the only child of `box`, leaving it where it is when it already is (focus stays). */
export function holdIn(box: HTMLElement, el: HTMLElement | null): void {
  if (el === null) box.replaceChildren();
  else if (box.childNodes.length !== 1 || box.firstChild !== el) box.replaceChildren(el);
}
