// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../../shared/api";
import { h, keepingFocus } from "../../shared/dom";
import { setLang } from "../../shared/i18n";
import { st } from "../i18n";
import { field, keptForm } from "./form";

/** A department-like form: a code, a name, a choice of many, a checkbox. */
function build(options = ["a", "b"]): HTMLFormElement {
  return h(
    "form",
    { "aria-label": st("newDepartment") },
    field("t-code", st("code"), h("input", { type: "text", name: "code" })),
    field("t-name", st("nameDe"), h("input", { type: "text", name: "name_de" })),
    field("t-many", st("departments"), h("select", { multiple: true, name: "departments" }, ...options.map((o) => h("option", { value: o }, o)))),
    field("t-check", st("citywide"), h("input", { type: "checkbox" })),
  );
}

const input = (id: string) => document.getElementById(id) as HTMLInputElement;

afterEach(() => {
  setLang("de");
  document.body.replaceChildren();
});

describe("keptForm", () => {
  it("is the same form on every redraw while nothing changed", () => {
    const kept = keptForm(() => build());
    expect(kept.current()).toBe(kept.current());
  });

  it("rebuilds in the new language with the values, choices and caret carried over", () => {
    const kept = keptForm(() => build());
    document.body.append(kept.current());
    input("t-code").value = "bauhof";
    input("t-check").checked = true;
    (document.getElementById("t-many") as HTMLSelectElement).options[1].selected = true;
    input("t-code").focus();
    input("t-code").setSelectionRange(2, 2);
    setLang("en");
    const now = kept.current();
    expect(now.getAttribute("aria-label")).toBe("New department");
    expect(document.body.contains(now)).toBe(true);
    expect(input("t-code").value).toBe("bauhof");
    expect(input("t-check").checked).toBe(true);
    expect([...(document.getElementById("t-many") as HTMLSelectElement).selectedOptions].map((o) => o.value)).toEqual(["b"]);
    expect(document.activeElement).toBe(input("t-code"));
    expect(input("t-code").selectionStart).toBe(2);
  });

  it("rebuilds after refresh with the new choices, keeping a choice still offered", () => {
    let options = ["a", "b"];
    const kept = keptForm(() => build(options));
    document.body.append(kept.current());
    (document.getElementById("t-many") as HTMLSelectElement).options[0].selected = true;
    options = ["a", "b", "c"];
    kept.refresh();
    kept.current();
    const many = document.getElementById("t-many") as HTMLSelectElement;
    expect(many.options.length).toBe(3);
    expect([...many.selectedOptions].map((o) => o.value)).toEqual(["a"]);
  });

  it("shows a refusal beside the form, marks and focuses the field the server names", () => {
    const kept = keptForm(() => build());
    document.body.append(kept.current());
    input("t-code").value = "tiefbau";
    input("t-name").value = "Tiefbau";
    kept.refuse(new ApiError(409, "code_exists", { de: "Kürzel vergeben.", en: "Code taken." }, { code: [{ de: "existiert", en: "exists" }] }));
    const note = kept.current().querySelector('[role="alert"]')!;
    expect(note.textContent).toContain("Kürzel vergeben.");
    expect(input("t-code").getAttribute("aria-invalid")).toBe("true");
    expect(input("t-name").hasAttribute("aria-invalid")).toBe(false);
    expect(document.activeElement).toBe(input("t-code"));
    expect(input("t-code").value).toBe("tiefbau");
    expect(input("t-name").value).toBe("Tiefbau");
    // Another language: the same refusal, in that language, still beside the form.
    setLang("en");
    expect(kept.current().querySelector('[role="alert"]')!.textContent).toContain("Code taken.");
  });

  it("focuses the message when the refusal names no field", () => {
    const kept = keptForm(() => build());
    document.body.append(kept.current());
    kept.refuse(new ApiError(403, "forbidden", { de: "Nicht erlaubt.", en: "Not allowed." }));
    expect(document.activeElement).toBe(kept.current().querySelector('[role="alert"]'));
  });

  it("is empty and without the refusal after reset, in the same place", () => {
    const kept = keptForm(() => build());
    const before = h("p", {}, "list");
    document.body.append(before, kept.current());
    input("t-code").value = "x";
    kept.refuse(new ApiError(422, "invalid", { de: "Falsch.", en: "Wrong." }, { code: [{ de: "zu kurz", en: "too short" }] }));
    kept.reset();
    expect(input("t-code").value).toBe("");
    expect(input("t-code").hasAttribute("aria-invalid")).toBe(false);
    expect(kept.current().querySelector('[role="alert"]')!.textContent).toBe("");
    expect(before.nextElementSibling).toBe(kept.current());
  });
});

describe("keepingFocus", () => {
  it("gives the focus and caret back to the field of the same id after a rebuild", () => {
    const box = h("div", {});
    document.body.append(box);
    const draw = (value: string) => box.replaceChildren(h("input", { type: "text", id: "t-k", value }));
    draw("Hafen");
    input("t-k").focus();
    input("t-k").setSelectionRange(3, 3);
    keepingFocus(box, () => draw("Hafen"));
    expect(document.activeElement).toBe(input("t-k"));
    expect(input("t-k").selectionStart).toBe(3);
  });
});
