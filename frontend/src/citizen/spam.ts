/**
 * The two quiet spam signals of the report form: a honeypot field a person never sees, and
 * how long the citizen took from starting the flow to pressing send (`fill_ms`).
 */
import { h } from "../shared/dom";
import { t } from "./i18n";

/** The honeypot's field name, as the server expects it. */
export const HONEYPOT = "website";

type Now = () => number;

/** A monotonic clock where there is one (a changed wall clock does not shorten the time). */
const defaultNow: Now = () => (typeof performance !== "undefined" && typeof performance.now === "function" ? performance.now() : Date.now());

/** Started when the citizen starts the flow; read when they press send. */
export class FillClock {
  private readonly started: number;

  constructor(private readonly now: Now = defaultNow) {
    this.started = now();
  }

  /** Whole milliseconds since the start, never negative. */
  elapsed(): number {
    return Math.max(0, Math.round(this.now() - this.started));
  }
}

/**
 * The honeypot input: off-screen, hidden from assistive technology, out of the tab order and
 * never autofilled. Its label says to leave it empty, for the rare screen reader that reaches it.
 */
export function honeypotField(value = ""): { el: HTMLElement; input: HTMLInputElement } {
  const input = h("input", {
    id: "hp-website",
    name: HONEYPOT,
    type: "text",
    tabindex: "-1",
    autocomplete: "off",
    "aria-hidden": "true",
    value,
  });
  const el = h("div", { class: "hp-field", "aria-hidden": "true" }, h("label", { for: "hp-website" }, t("honeypot")), input);
  return { el, input };
}
