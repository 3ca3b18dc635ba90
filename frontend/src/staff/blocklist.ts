/** "Sperrliste": addresses and domains whose reports wait in moderation instead of the map. */
import { h, keepingFocus } from "../shared/dom";
import { formatDateTime, lang } from "../shared/i18n";
import type { BlockEntry } from "../shared/types";
import { ApiError, addBlock, listBlocklist, removeBlock } from "./api";
import { actorLabel, st } from "./i18n";
import { errorText, messageEl, type StaffView } from "./shell";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

/** Where a refused add goes: messages per form field, or one message for the whole form. */
export function addErrors(e: unknown): { pattern: string; reason: string; general: string } {
  const out = { pattern: "", reason: "", general: "" };
  if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 403) {
    const l = lang();
    const of = (name: string) => (e.fields[name] ?? []).map((m) => m[l] || m.de).join(" ");
    out.pattern = of("pattern");
    out.reason = of("reason");
    // 409 (already listed) and a malformed pattern without field details belong to the pattern.
    if (!out.pattern && !out.reason) out.pattern = e.messages[l] || e.messages.de;
    return out;
  }
  out.general = errorText(e);
  return out;
}

export function blocklistView(): StaffView {
  let list: BlockEntry[] | null = null;
  let msg: Msg = null;
  let pattern = "";
  let reason = "";
  let errors = { pattern: "", reason: "", general: "" };
  let busy = false;
  let confirming: number | null = null;
  let root: HTMLElement;
  let alive = true;

  async function load(): Promise<void> {
    try {
      list = await listBlocklist();
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (alive) draw();
  }

  const focus = (sel: string) => root.querySelector<HTMLElement>(sel)?.focus();

  async function add(): Promise<void> {
    if (busy) return;
    errors = { pattern: "", reason: "", general: "" };
    if (!pattern.trim()) {
      errors.pattern = st("needPattern");
      draw();
      focus("#b-pattern");
      return;
    }
    busy = true;
    msg = null;
    try {
      const entry = await addBlock(pattern, reason);
      msg = { text: st("blockAdded", { pattern: entry?.pattern ?? pattern.trim() }), kind: "ok" };
      pattern = "";
      reason = "";
      busy = false;
      await load();
      focus(".msg-anchor");
      return;
    } catch (e) {
      errors = addErrors(e);
    }
    busy = false;
    draw();
    focus(errors.reason && !errors.pattern ? "#b-reason" : errors.pattern ? "#b-pattern" : ".msg-anchor");
  }

  async function remove(entry: BlockEntry): Promise<void> {
    try {
      await removeBlock(entry.id);
      msg = { text: st("blockRemoved", { pattern: entry.pattern }), kind: "ok" };
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    confirming = null;
    await load();
    focus(".msg-anchor");
  }

  function actionCell(entry: BlockEntry): HTMLElement {
    if (confirming === entry.id) {
      return h(
        "div",
        { class: "confirm-step", role: "group", "aria-label": st("blockRemoveConfirm", { pattern: entry.pattern }) },
        h("p", {}, st("blockRemoveConfirm", { pattern: entry.pattern })),
        h(
          "div",
          { class: "row" },
          h("button", { type: "button", class: "btn btn-small btn-danger", id: `b-yes-${entry.id}`, onclick: () => void remove(entry) }, st("blockRemoveYes")),
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              onclick: () => {
                confirming = null;
                draw();
                focus(`#b-rm-${entry.id}`);
              },
            },
            st("cancel"),
          ),
        ),
      );
    }
    return h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        id: `b-rm-${entry.id}`,
        "aria-label": st("blockRemoveLabel", { pattern: entry.pattern }),
        onclick: () => {
          confirming = entry.id;
          draw();
          focus(`#b-yes-${entry.id}`);
        },
      },
      st("blockRemove"),
    );
  }

  function table(entries: BlockEntry[]): HTMLElement {
    if (!entries.length) return h("p", {}, st("blockEmpty"));
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", { class: "visually-hidden" }, st("blocklistTitle")),
        h("thead", {}, h("tr", {}, ...[st("pattern"), st("reason"), st("addedAt"), st("addedBy"), st("actions")].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          ...entries.map((e) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, h("code", {}, e.pattern)),
              h("td", {}, e.reason ?? ""),
              h("td", {}, formatDateTime(e.created_at)),
              h("td", {}, actorLabel(e.created_by, e.created_by_name)),
              h("td", {}, actionCell(e)),
            ),
          ),
        ),
      ),
    );
  }

  function form(): HTMLElement {
    const pIn = h("input", {
      id: "b-pattern",
      type: "text",
      inputmode: "email",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      value: pattern,
      "aria-describedby": errors.pattern ? "b-pattern-help b-pattern-error" : "b-pattern-help",
      "aria-invalid": errors.pattern ? "true" : null,
    });
    pIn.addEventListener("input", () => (pattern = pIn.value));
    const rIn = h("input", {
      id: "b-reason",
      type: "text",
      maxlength: 200,
      value: reason,
      "aria-describedby": errors.reason ? "b-reason-error" : null,
      "aria-invalid": errors.reason ? "true" : null,
    });
    rIn.addEventListener("input", () => (reason = rIn.value));
    const f = h(
      "form",
      { class: "inline-form", "aria-labelledby": "b-new-h", novalidate: true },
      h(
        "div",
        { class: "field" },
        h("label", { for: "b-pattern" }, st("pattern")),
        pIn,
        h("p", { class: "hint", id: "b-pattern-help" }, st("patternHelp")),
        h("p", { class: "field-error", id: "b-pattern-error" }, errors.pattern),
      ),
      h("div", { class: "field" }, h("label", { for: "b-reason" }, st("blockReason")), rIn, h("p", { class: "field-error", id: "b-reason-error" }, errors.reason)),
      h("button", { type: "submit", class: "btn btn-primary", disabled: busy }, st("blockAdd")),
    );
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      void add();
    });
    return f;
  }

  function draw(): void {
    const general = errors.general ? { text: errors.general, kind: "error" as const } : msg;
    // The list arriving while a pattern is typed: the values are kept (`pattern`, `reason`), the caret too.
    keepingFocus(root, () =>
      root.replaceChildren(
        h("h2", {}, st("blocklistTitle")),
        h("p", {}, st("blocklistHelp")),
        h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(general)),
        list ? table(list) : h("p", { "aria-live": "polite" }, st("loading")),
        h("h3", { id: "b-new-h" }, st("blockNew")),
        form(),
      ),
    );
  }

  return {
    render(main) {
      root = h("div", { class: "view-blocklist" });
      main.append(root);
      draw();
      if (!list) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
