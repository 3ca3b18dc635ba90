/** A staff list of things that failed to go out (undeliverable mails, hand-overs to external
 * bodies): newest first, a page at a time, each row with a "send again" button. The views
 * differ in their rows; the state, paging, focus and messages are these. */
import { h } from "../shared/dom";
import { errorText, messageEl, type StaffView } from "./shell";
import { st } from "./i18n";

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

export interface RetryList<T> {
  /** The view's class. */
  cls: string;
  /** One page after `cursor` (null: the first). */
  fetch(cursor: string | null): Promise<{ items: T[]; next: string | null }>;
  /** Send one again; its answer is the message shown. */
  retry(item: T): Promise<string>;
  /** Whether an item is the one sent again (it is due again, so it leaves the list). */
  same(a: T, b: T): boolean;
  /** What stands above the list: a back link, the heading, a help text. */
  head(): (HTMLElement | string)[];
  /** The rows; each row's first cell a `th` with tabindex -1 (focused when its page arrives),
   * each row's button calling `retry` and disabled while `busy`. */
  table(rows: T[], retry: (item: T) => void, busy: boolean): HTMLElement;
}

export function retryListView<T>(spec: RetryList<T>): StaffView {
  let list: T[] | null = null;
  let next: string | null = null;
  let msg: Msg = null;
  let busy = false;
  let root: HTMLElement;
  let alive = true;

  /** The first page (`first` false) or the next; focus moves to the new page's first row. */
  async function read(more: boolean): Promise<void> {
    const first = more ? (list?.length ?? 0) : null;
    try {
      const page = await spec.fetch(more ? next : null);
      list = more ? [...(list ?? []), ...page.items] : page.items;
      next = page.next;
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (!alive) return;
    draw();
    if (first !== null) root.querySelectorAll<HTMLElement>("tbody tr th")[first]?.focus();
  }

  async function retry(item: T): Promise<void> {
    if (busy) return;
    busy = true;
    draw();
    try {
      msg = { text: await spec.retry(item), kind: "ok" };
      // Due again, so no longer failed: it leaves the list (the pages already read stay).
      list = (list ?? []).filter((x) => !spec.same(x, item));
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    busy = false;
    if (!alive) return;
    draw();
    root.querySelector<HTMLElement>(".msg-anchor")?.focus();
  }

  function draw(): void {
    root.replaceChildren(
      ...spec.head(),
      h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg)),
      list ? spec.table(list, (item) => void retry(item), busy) : h("p", { "aria-live": "polite" }, st("loading")),
      ...(next ? [h("button", { type: "button", class: "btn", onclick: () => void read(true) }, st("mailsMore"))] : []),
    );
  }

  return {
    render(main) {
      root = h("div", { class: spec.cls });
      main.append(root);
      draw();
      if (!list) void read(false);
    },
    destroy() {
      alive = false;
    },
  };
}
