/** Failed hand-overs to external bodies, city-wide (or the supervisor's departments'): newest first, a page at a time, each with "Erneut senden". */
import type { components } from "../shared/api-types";
import { h } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import { call } from "./api";
import { retryDelivery } from "./forwarding";
import { st, type StaffKey } from "./i18n";
import { errorText, messageEl, type StaffView } from "./shell";

export type FailedDelivery = components["schemas"]["FailedDelivery"];

type Msg = { text: string; kind: "ok" | "error" | "conflict" } | null;

export async function listFailedDeliveries(cursor?: string | null, limit = 50): Promise<{ items: FailedDelivery[]; next: string | null }> {
  const r = await call<components["schemas"]["FailedDeliveryPage"]>("/api/v1/deliveries", { query: { status: "failed", cursor, limit } });
  return { items: r.data?.items ?? [], next: r.next ?? r.data?.next_cursor ?? null };
}

/** "Open311", "E-Mail", "Webhook"; an unknown channel as it is. */
export function channelText(channel: string): string {
  return ["open311", "email", "webhook"].includes(channel) ? st(`channel_${channel}` as StaffKey) : channel;
}

export function failedDeliveriesView(): StaffView {
  let list: FailedDelivery[] | null = null;
  let next: string | null = null;
  let msg: Msg = null;
  let busy = false;
  let root: HTMLElement;
  let alive = true;

  async function load(): Promise<void> {
    try {
      const page = await listFailedDeliveries();
      list = page.items;
      next = page.next;
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (alive) draw();
  }

  async function more(): Promise<void> {
    const first = list?.length ?? 0;
    try {
      const page = await listFailedDeliveries(next);
      list = [...(list ?? []), ...page.items];
      next = page.next;
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    if (!alive) return;
    draw();
    root.querySelectorAll<HTMLElement>("tbody tr th")[first]?.focus();
  }

  async function retry(d: FailedDelivery): Promise<void> {
    if (busy) return;
    busy = true;
    draw();
    const name = pick(d.destination_name);
    try {
      await retryDelivery(d.report, d.id);
      msg = { text: st("deliveryRetried", { d: name }), kind: "ok" };
      // Due again: no longer failed, so it leaves the list (the pages already read stay).
      list = (list ?? []).filter((x) => x.id !== d.id);
    } catch (e) {
      msg = { text: errorText(e), kind: "error" };
    }
    busy = false;
    if (!alive) return;
    draw();
    root.querySelector<HTMLElement>(".msg-anchor")?.focus();
  }

  function table(rows: FailedDelivery[]): HTMLElement {
    if (!rows.length) return h("p", {}, st("failedDeliveriesEmpty"));
    const cols = [st("failedDeliveryTicket"), st("externalDestination"), st("deliveryAttempts"), st("failedDeliveryAt"), st("failedDeliveryError"), st("actions")];
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", { class: "visually-hidden" }, st("failedDeliveries")),
        h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          ...rows.map((d) =>
            h(
              "tr",
              {},
              h("th", { scope: "row", tabindex: "-1" }, h("a", { href: `#/ticket/${encodeURIComponent(d.report)}` }, d.report)),
              h("td", {}, `${pick(d.destination_name)} (${channelText(d.channel)})`),
              h("td", {}, String(d.attempts)),
              h("td", {}, formatDateTime(d.failed_at)),
              h("td", {}, d.error ? h("code", {}, d.error) : ""),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-small btn-touch",
                    disabled: busy,
                    "aria-label": st("failedDeliveryRetryLabel", { d: pick(d.destination_name), id: d.report }),
                    onclick: () => void retry(d),
                  },
                  st("retryDelivery"),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function draw(): void {
    root.replaceChildren(
      h("p", {}, h("a", { href: "#/board" }, st("backToBoard"))),
      h("h2", {}, st("failedDeliveries")),
      h("p", {}, st("failedDeliveriesHelp")),
      h("div", { class: "msg-anchor", tabindex: "-1" }, messageEl(msg)),
      list ? table(list) : h("p", { "aria-live": "polite" }, st("loading")),
      ...(next ? [h("button", { type: "button", class: "btn", onclick: () => void more() }, st("mailsMore"))] : []),
    );
  }

  return {
    render(main) {
      root = h("div", { class: "view-deliveries" });
      main.append(root);
      draw();
      if (!list) void load();
    },
    destroy() {
      alive = false;
    },
  };
}
