/** "Verwaltung", routing rules: the rule set as JSON, a dry run and applying it, with the moves. */
import { h } from "../../shared/dom";
import type { DryRun, Move, RuleSetApplied, RuleSetVersion } from "../../shared/types";
import { get, send } from "../api";
import { st } from "../i18n";
import { errorText, messageEl } from "../shell";
import { field, section, type Msg, type Section } from "./form";

export function rulesSection(): Section {
  const { root, body } = section("rules", "a-rules");
  let raw = "";
  let info = "";
  let moves: Move[] | null = null;
  let msg: Msg = null;
  let busy = false;

  function parsed(): Record<string, unknown> | null {
    try {
      const v = JSON.parse(raw) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
      throw new Error("{ … }");
    } catch (e) {
      msg = { text: st("rulesBadJson", { msg: e instanceof Error ? e.message : String(e) }), kind: "error" };
      s.draw();
      return null;
    }
  }

  async function post(path: string, apply: boolean): Promise<void> {
    const body = parsed();
    if (!body || busy) return;
    busy = true;
    try {
      // A dry run answers with the moves; applying, with the new version and its rules too.
      const r = await send<DryRun & Partial<RuleSetApplied>>(path, body);
      moves = r.moves ?? [];
      msg = apply ? { text: st("rulesApplied", { v: r.version ?? "?", n: moves.length }), kind: "ok" } : null;
      if (apply && r.rules) {
        raw = JSON.stringify(r.rules, null, 2);
        info = st("rulesVersion", { v: r.version ?? "?" });
      }
    } catch (err) {
      msg = { text: errorText(err), kind: "error" };
    }
    busy = false;
    s.draw();
  }

  const s: Section = {
    root,
    async load() {
      try {
        const r = await get<RuleSetVersion>("/api/v1/admin/rules");
        raw = JSON.stringify(r.rules, null, 2);
        info = r.implicit ? st("rulesImplicit") : st("rulesVersion", { v: r.version ?? "?" });
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const ta = h("textarea", { class: "code", rows: 16, spellcheck: "false", autocomplete: "off" });
      ta.value = raw;
      ta.addEventListener("input", () => (raw = ta.value));
      body.replaceChildren(
        h("p", { class: "hint" }, info),
        field("r-json", st("rulesJson"), ta),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "btn", onclick: () => void post("/api/v1/admin/rules/dry-run", false) }, st("dryRun")),
          h("button", { type: "button", class: "btn btn-primary", onclick: () => void post("/api/v1/admin/rules", true) }, st("applyRules")),
        ),
        h("div", { "aria-live": "polite" }, messageEl(msg) ?? ""),
        moves === null
          ? ""
          : moves.length
            ? h(
                "div",
                { class: "table-wrap" },
                h(
                  "table",
                  { class: "data moves" },
                  h("caption", {}, `${st("moves")} (${moves.length})`),
                  h("thead", {}, h("tr", {}, ...[st("ticket"), st("category"), st("from"), st("to"), st("rule")].map((c) => h("th", { scope: "col" }, c)))),
                  h(
                    "tbody",
                    {},
                    ...moves.map((m) =>
                      h("tr", {}, h("th", { scope: "row" }, h("a", { href: `#/ticket/${encodeURIComponent(m.public_id)}` }, m.public_id)), h("td", {}, m.category), h("td", {}, m.from_department), h("td", {}, m.to_department), h("td", {}, m.rule_id ?? st("fallback"))),
                    ),
                  ),
                ),
              )
            : h("p", { role: "status" }, st("noMoves")),
      );
    },
  };
  return s;
}
