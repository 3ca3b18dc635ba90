import { afterEach, describe, expect, it } from "vitest";
import { chooseKept, h, keepingInput } from "./dom";

afterEach(() => document.body.replaceChildren());

const field = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A form as a view draws it: a text field, a note, a choice (whose options may come later), a check. */
function draw(box: HTMLElement, options: string[] = ["a", "b"]): void {
  box.replaceChildren(
    h(
      "form",
      {},
      h("input", { type: "text", id: "f-name" }),
      h("textarea", { id: "f-note" }),
      h("select", { id: "f-dept" }, h("option", { value: "" }, "—"), ...options.map((o) => h("option", { value: o }, o))),
      h("input", { type: "checkbox", id: "f-copy" }),
    ),
  );
}

describe("keepingInput", () => {
  it("keeps what was typed and chosen, the focus and the caret when the view is drawn anew", () => {
    const box = h("div", {});
    document.body.append(box);
    draw(box);
    field<HTMLInputElement>("f-name").value = "Bauhof";
    field<HTMLTextAreaElement>("f-note").value = "Bitte prüfen";
    field<HTMLSelectElement>("f-dept").value = "b";
    field<HTMLInputElement>("f-copy").checked = true;
    field<HTMLTextAreaElement>("f-note").focus();
    field<HTMLTextAreaElement>("f-note").setSelectionRange(5, 5);
    const before = field("f-note");

    keepingInput(box, () => draw(box));

    expect(field("f-note")).not.toBe(before);
    expect(field<HTMLInputElement>("f-name").value).toBe("Bauhof");
    expect(field<HTMLTextAreaElement>("f-note").value).toBe("Bitte prüfen");
    expect(field<HTMLSelectElement>("f-dept").value).toBe("b");
    expect(field<HTMLInputElement>("f-copy").checked).toBe(true);
    expect(document.activeElement).toBe(field("f-note"));
    expect(field<HTMLTextAreaElement>("f-note").selectionStart).toBe(5);
  });

  it("starts the fields of a form just sent afresh", () => {
    const box = h("div", {});
    document.body.append(box);
    draw(box);
    field<HTMLInputElement>("f-name").value = "Bauhof";
    field<HTMLTextAreaElement>("f-note").value = "Gesendet";
    keepingInput(box, () => draw(box), ["f-note"]);
    expect(field<HTMLInputElement>("f-name").value).toBe("Bauhof");
    expect(field<HTMLTextAreaElement>("f-note").value).toBe("");
  });

  it("a choice whose options come later is made when they arrive, if still offered", () => {
    const box = h("div", {});
    document.body.append(box);
    draw(box);
    field<HTMLSelectElement>("f-dept").value = "b";
    keepingInput(box, () => draw(box, []));
    const sel = field<HTMLSelectElement>("f-dept");
    expect(sel.value).toBe("");
    sel.append(h("option", { value: "a" }, "a"), h("option", { value: "b" }, "b"));
    chooseKept(sel);
    expect(sel.value).toBe("b");

    const other = h("select", { "data-keep": "z" }, h("option", { value: "" }, "—"), h("option", { value: "a" }, "a"));
    chooseKept(other);
    expect(other.value).toBe("");
  });
});
