/** The admin screens' building blocks: a section, labelled fields, a table, a department list. */
import { h } from "../../shared/dom";
import { pick } from "../../shared/i18n";
import type { Department } from "../../shared/types";
import { st, type StaffKey } from "../i18n";

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
