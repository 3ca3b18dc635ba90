/** A tiny element builder: h("p", {class: "x"}, "text", child). */

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value as EventListener);
    } else if (name === "value" && "value" in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (name === "checked" || name === "disabled" || name === "multiple") {
      (el as unknown as Record<string, boolean>)[name] = Boolean(value);
      if (name !== "checked") el.setAttribute(name, "");
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Move focus to a heading (made focusable) so screen readers announce the new step. */
export function focusHeading(el: HTMLElement): void {
  el.tabIndex = -1;
  el.focus({ preventScroll: false });
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * Focus and caret survive `redraw` when it rebuilds the element holding them: the focused element
 * inside `within` is found again by its id afterwards (a field taken out of the page and put back
 * loses its focus, and the next keys go nowhere).
 */
export function keepingFocus(within: HTMLElement, redraw: () => void): void {
  const active = document.activeElement;
  const id = active instanceof HTMLElement && within.contains(active) ? active.id : "";
  const range = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? caretOf(active) : null;
  redraw();
  if (!id || document.activeElement?.id === id) return;
  const again = document.getElementById(id);
  if (!again || !within.contains(again)) return;
  again.focus();
  if (range && (again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement)) setCaret(again, range);
}

function caretOf(el: HTMLInputElement | HTMLTextAreaElement): [number, number] | null {
  try {
    return el.selectionStart === null || el.selectionEnd === null ? null : [el.selectionStart, el.selectionEnd];
  } catch {
    return null; // a type without a caret (number, email in some browsers)
  }
}

function setCaret(el: HTMLInputElement | HTMLTextAreaElement, [from, to]: [number, number]): void {
  try {
    el.setSelectionRange(from, to);
  } catch {
    /* a type without a caret */
  }
}

const fieldsIn = (root: ParentNode): Field[] => [...root.querySelectorAll<Field>("input[id], select[id], textarea[id]")];

/** One field's value, choice or files moved to its new build (the same id); a choice the new one lacks is left. */
function carryField(old: Field, now: Element): void {
  if (old instanceof HTMLSelectElement && now instanceof HTMLSelectElement) {
    const chosen = new Set([...old.selectedOptions].map((o) => o.value));
    if (now.multiple) for (const o of now.options) o.selected = chosen.has(o.value);
    else if ([...now.options].some((o) => o.value === old.value)) now.value = old.value;
    // Its options are still on their way: the choice waits for them (see `chooseKept`).
    else if (old.value || old.dataset.keep) now.dataset.keep = old.value || old.dataset.keep;
  } else if (old instanceof HTMLInputElement && now instanceof HTMLInputElement) {
    if (old.type === "file") {
      // A file input takes no value, but it takes the chosen files themselves.
      if (now.type === "file" && old.files?.length) now.files = old.files;
    } else if (old.type === "checkbox" || old.type === "radio") now.checked = old.checked;
    else now.value = old.value;
  } else if (old instanceof HTMLTextAreaElement && now instanceof HTMLTextAreaElement) {
    now.value = old.value;
  }
}

/** What was typed and chosen moves from one build of a form to the next, field by field (by id). */
export function carryValues(from: ParentNode, to: ParentNode): void {
  carryInto(fieldsIn(from), to);
}

function carryInto(fields: readonly Field[], to: ParentNode): void {
  const byId = new Map(fieldsIn(to).map((el) => [el.id, el]));
  for (const old of fields) {
    const now = byId.get(old.id);
    if (now && now !== old) carryField(old, now);
  }
}

/**
 * `redraw` rebuilds what is inside `within`; every field with an id keeps what was typed or chosen
 * (found again by id) and the focused one its focus and caret. A view redrawn on data arriving,
 * a poll or a language switch loses nothing the person was doing. The fields named in `except`
 * start afresh (a form just sent).
 */
export function keepingInput(within: HTMLElement, redraw: () => void, except: readonly string[] = []): void {
  const before = fieldsIn(within).filter((f) => !except.includes(f.id));
  keepingFocus(within, () => {
    redraw();
    // A field still in place is the same element: nothing to carry.
    carryInto(
      before.filter((old) => !within.contains(old)),
      within,
    );
  });
}

/** A select whose options arrived after a redraw: the choice carried over to it (if still offered) is made. */
export function chooseKept(sel: HTMLSelectElement): void {
  const want = sel.dataset.keep;
  delete sel.dataset.keep;
  if (want && [...sel.options].some((o) => o.value === want)) sel.value = want;
}
