/** Failed hand-overs to external bodies, city-wide (or the supervisor's departments'): newest first, a page at a time, each with "Erneut senden". */
import type { components } from "../shared/api-types";
import { h } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import { call } from "./api";
import { retryDelivery } from "./forwarding";
import { st, type StaffKey } from "./i18n";
import { retryListView } from "./retry-list";
import type { StaffView } from "./shell";

export type FailedDelivery = components["schemas"]["FailedDelivery"];

export async function listFailedDeliveries(cursor?: string | null, limit = 50): Promise<{ items: FailedDelivery[]; next: string | null }> {
  const r = await call<components["schemas"]["FailedDeliveryPage"]>("/api/v1/deliveries", { query: { status: "failed", cursor, limit } });
  return { items: r.data?.items ?? [], next: r.next ?? r.data?.next_cursor ?? null };
}

/** "Open311", "E-Mail", "Webhook"; an unknown channel as it is. */
export function channelText(channel: string): string {
  return ["open311", "email", "webhook"].includes(channel) ? st(`channel_${channel}` as StaffKey) : channel;
}

export function failedDeliveriesView(): StaffView {
  return retryListView<FailedDelivery>({
    cls: "view-deliveries",
    fetch: (cursor) => listFailedDeliveries(cursor),
    async retry(d) {
      await retryDelivery(d.report, d.id);
      return st("deliveryRetried", { d: pick(d.destination_name) });
    },
    same: (a, b) => a.id === b.id,
    head: () => [h("p", {}, h("a", { href: "#/board" }, st("backToBoard"))), h("h2", {}, st("failedDeliveries")), h("p", {}, st("failedDeliveriesHelp"))],
    table,
  });
}

function table(rows: FailedDelivery[], retry: (d: FailedDelivery) => void, busy: boolean): HTMLElement {
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
                  onclick: () => retry(d),
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
