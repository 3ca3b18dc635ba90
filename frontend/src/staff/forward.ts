/** The "Weiterleiten" control: department select, reason, button. */
import { chooseKept, h } from "../shared/dom";
import { pick } from "../shared/i18n";
import type { Department } from "../shared/types";
import { st } from "./i18n";
import { departments } from "./shell";

let n = 0;

/**
 * A form that calls onForward(department, reason); the current department is left out. `key`
 * makes its field ids stable across redraws (what was typed is carried over by id); `refusal` is
 * a server's message shown beside the form.
 */
export function forwardForm(
  currentDept: string | null | undefined,
  onForward: (department: string, reason: string) => Promise<void>,
  key?: string,
  refusal = "",
): HTMLFormElement {
  const id = key ? `fw-${key}` : `fw-${++n}`;
  const sel = h("select", { id: `${id}-dept`, required: true }, h("option", { value: "" }, "—"));
  const reason = h("textarea", { id: `${id}-reason`, rows: 2, maxlength: 1000, required: true });
  const err = h("p", { class: "field-error", id: `${id}-err`, "aria-live": "polite", tabindex: "-1" }, refusal);
  const btn = h("button", { type: "submit", class: "btn btn-small" }, st("forward"));
  void departments()
    .then((list: Department[]) => {
      const chosen = sel.value;
      for (const d of list) if (d.code !== currentDept) sel.append(h("option", { value: d.code }, pick(d.name)));
      sel.value = chosen;
      chooseKept(sel);
    })
    .catch(() => undefined);
  const form = h(
    "form",
    { class: "forward" },
    h("div", { class: "field" }, h("label", { for: sel.id }, st("department")), sel),
    h("div", { class: "field" }, h("label", { for: reason.id }, st("reason")), reason),
    err,
    btn,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (!sel.value) {
      err.textContent = st("chooseDepartment");
      sel.focus();
      return;
    }
    if (!reason.value.trim()) {
      err.textContent = st("needReason");
      reason.focus();
      return;
    }
    btn.disabled = true;
    try {
      await onForward(sel.value, reason.value.trim());
    } finally {
      btn.disabled = false;
    }
  });
  form.noValidate = true;
  return form;
}
