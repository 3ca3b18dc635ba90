/** SLA state as text (never colour alone), and the age of a ticket in words. */
import { h } from "../shared/dom";
import { st, type StaffKey } from "./i18n";

export const SLA_STATES = ["ok", "at_risk", "breached", "paused", "met", "missed"] as const;

const SYMBOL: Record<string, string> = { ok: "✓", at_risk: "!", breached: "✕", paused: "⏸", met: "✓", missed: "✕" };

/** The i18n key and CSS class of an SLA state; unknown states get a neutral badge. */
export function slaBadgeInfo(state: string | null | undefined): { key: StaffKey; cls: string; symbol: string } {
  const s = state && (SLA_STATES as readonly string[]).includes(state) ? state : "unknown";
  return { key: `sla_${s}` as StaffKey, cls: `sla sla-${s}`, symbol: SYMBOL[s] ?? "?" };
}

/** The badge text in the current language, e.g. "im Plan", "gefährdet", "überschritten". */
export function slaText(state: string | null | undefined): string {
  return st(slaBadgeInfo(state).key);
}

export function slaBadge(state: string | null | undefined): HTMLElement {
  const info = slaBadgeInfo(state);
  return h("span", { class: info.cls }, h("span", { "aria-hidden": "true", class: "sla-sym" }, info.symbol), " ", st(info.key));
}

/** "3 Std.", "2 Tagen" … since iso at time now. */
export function ageText(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const minutes = Math.max(0, Math.floor((now - t) / 60000));
  if (minutes < 60) return st("ageMinutes", { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return st("ageHours", { n: hours });
  const days = Math.floor(hours / 24);
  return days === 1 ? st("ageDay") : st("ageDays", { n: days });
}
