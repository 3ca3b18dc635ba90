/** Moderation as a compact list: a row per report (thumbnails, text, category, place) with one-click
 * publish, hide and text edit; the black-out tool opens per photo. */
import { h, keepingFocus } from "../../shared/dom";
import { st } from "../i18n";
import { errorText, messageEl, type StaffView } from "../shell";
import { fetchPage, filter, type Entry, type Msg } from "./entries";
import { moderationRow, type RowContext } from "./row";

export function moderationView(): StaffView {
  let entries: Entry[] | null = null;
  let next: string | null = null;
  let loadingMore = false;
  let error = "";
  let done: Msg = null;
  let results: HTMLElement;
  let alive = true;

  async function load(): Promise<void> {
    try {
      const onlyFlagged = filter.flagged;
      const r = await fetchPage(onlyFlagged, null);
      if (onlyFlagged !== filter.flagged) return; // the filter changed meanwhile
      entries = r.entries;
      next = r.next;
      error = "";
    } catch (e) {
      error = errorText(e);
    }
    if (alive) draw();
  }

  /** The page after the last one shown (a ticket already here stays once); focus on the first new one. */
  async function loadMore(): Promise<void> {
    if (!next || loadingMore || !entries) return;
    const onlyFlagged = filter.flagged;
    const before = entries.length;
    loadingMore = true;
    draw();
    try {
      const r = await fetchPage(onlyFlagged, next);
      if (onlyFlagged === filter.flagged && entries) {
        const shown = new Set(entries.map((e) => e.v.ticket.public_id));
        entries = [...entries, ...r.entries.filter((e) => !shown.has(e.v.ticket.public_id))];
        next = r.next;
      }
    } catch (e) {
      done = { text: errorText(e), kind: "error" };
    }
    loadingMore = false;
    if (!alive) return;
    draw();
    results.querySelectorAll<HTMLElement>(".mod-item h3 a")[before]?.focus();
  }

  /** After a row left the list: the focus on the next row's link (else the previous one's, else the message). */
  function focusAfterRemoval(index: number): void {
    const links = results.querySelectorAll<HTMLElement>(".mod-item h3 a");
    (links[index] ?? links[index - 1] ?? results.querySelector<HTMLElement>(".msg-anchor"))?.focus();
  }

  function removeEntry(e: Entry): void {
    const index = (entries ?? []).indexOf(e);
    entries = (entries ?? []).filter((x) => x !== e);
    draw();
    focusAfterRemoval(index);
  }

  const row: RowContext = {
    alive: () => alive,
    results: () => results,
    announce: (msg) => (done = msg),
    remove: removeEntry,
    draw,
  };

  function draw(): void {
    const parts: (Node | null)[] = [h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(done))];
    if (error) parts.push(h("div", { class: "alert", role: "alert" }, error));
    else if (!entries) parts.push(h("p", { "aria-live": "polite" }, st("loading")));
    else if (!entries.length) parts.push(h("p", {}, st("moderationEmpty")));
    else parts.push(h("div", { class: "mod-list", role: "group", "aria-label": st("modList") }, ...entries.map((e) => moderationRow(e, row))));
    if (entries && next) {
      parts.push(
        h(
          "button",
          { type: "button", class: "btn mod-more", disabled: loadingMore, "aria-busy": loadingMore ? "true" : "false", onclick: () => void loadMore() },
          loadingMore ? st("loadingMore") : st("loadMore"),
        ),
      );
    }
    // The list drawn anew (a page arriving, a row leaving) keeps the focus and the caret where they were.
    keepingFocus(results, () => results.replaceChildren(...parts.filter((p): p is Node => !!p)));
  }

  function filterForm(): HTMLElement {
    const cb = h("input", { type: "checkbox", id: "m-flagged", checked: filter.flagged, "aria-describedby": "m-flagged-help" });
    cb.addEventListener("change", () => {
      filter.flagged = cb.checked;
      entries = null;
      next = null;
      error = "";
      done = null;
      draw();
      void load();
    });
    const form = h(
      "form",
      { class: "mod-filter", "aria-label": st("filters") },
      h("div", { class: "field check" }, cb, h("label", { for: "m-flagged" }, st("flaggedFilter"))),
      h("p", { class: "hint", id: "m-flagged-help" }, st("flaggedHelp")),
    );
    form.addEventListener("submit", (e) => e.preventDefault());
    return form;
  }

  return {
    render(main) {
      results = h("div", {});
      main.append(h("div", { class: "view-moderation" }, h("h2", {}, st("moderationTitle")), h("p", {}, st("moderationHelp")), filterForm(), results));
      draw();
      if (!entries && !error) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
