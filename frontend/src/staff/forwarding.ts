/** Handing a ticket to an external body: the form, the ticket's deliveries with "Erneut senden", the API calls. */
import type { components } from "../shared/api-types";
import { h } from "../shared/dom";
import { formatDateTime, pick } from "../shared/i18n";
import { ApiError, call, get, send } from "./api";
import { st, type StaffKey } from "./i18n";

export type Destination = components["schemas"]["DestinationOut"];
export type DestinationCreated = components["schemas"]["DestinationCreated"];
export type DestinationIn = components["schemas"]["DestinationIn"];
export type Delivery = components["schemas"]["DeliveryOut"];
export type Forwarded = components["schemas"]["Forwarded"];

// -- API --------------------------------------------------------------------------------------

export async function listDestinations(cursor?: string | null, limit = 20): Promise<{ items: Destination[]; next: string | null }> {
  const r = await call<components["schemas"]["Destinations"]>("/api/v1/admin/destinations", { query: { cursor, limit } });
  return { items: r.data?.items ?? [], next: r.next ?? r.data?.next_cursor ?? null };
}

export type DestinationChoice = components["schemas"]["DestinationChoice"];

/** Every switched-on destination, for the ticket's form (the list is short; any staff member may read it). */
export async function activeDestinations(): Promise<DestinationChoice[]> {
  const out: DestinationChoice[] = [];
  let cursor: string | null = null;
  do {
    const r: { data: components["schemas"]["DestinationChoices"] | null; next: string | null } = await call<components["schemas"]["DestinationChoices"]>("/api/v1/staff/destinations", { query: { cursor, limit: 100 } });
    out.push(...(r.data?.items ?? []));
    cursor = r.next ?? r.data?.next_cursor ?? null;
  } while (cursor);
  return out;
}

export function createDestination(body: DestinationIn): Promise<DestinationCreated> {
  return send<DestinationCreated>("/api/v1/admin/destinations", body);
}

export function switchOffDestination(id: number): Promise<Destination> {
  return send<Destination>(`/api/v1/admin/destinations/${id}`, undefined, "DELETE");
}

export async function forwardExternal(ticket: string, etag: string, body: { destination: number; note: string | null; copy_only: boolean }): Promise<Forwarded> {
  return (await call<Forwarded>(`/api/v1/tickets/${encodeURIComponent(ticket)}/forward-external`, { json: body, ifMatch: etag })).data;
}

export async function listDeliveries(ticket: string): Promise<Delivery[]> {
  return (await get<components["schemas"]["Deliveries"]>(`/api/v1/tickets/${encodeURIComponent(ticket)}/deliveries`)).items ?? [];
}

export async function retryDelivery(ticket: string, id: number): Promise<Delivery> {
  return (await send<components["schemas"]["DeliveryRetried"]>(`/api/v1/tickets/${encodeURIComponent(ticket)}/deliveries/${id}/retry`, {})).delivery;
}

export async function failedDeliveryCount(): Promise<number> {
  return (await get<components["schemas"]["FailedDeliveries"]>("/api/v1/board/deliveries")).failed;
}

/** 403 when the caller may not read the destinations. */
export const isForbidden = (e: unknown): boolean => e instanceof ApiError && e.status === 403;

// -- pure logic -------------------------------------------------------------------------------

/** "wartet", "zugestellt", "fehlgeschlagen". */
export function deliveryStateText(status: string): string {
  return ["pending", "delivered", "failed"].includes(status) ? st(`delivery_${status}` as StaffKey) : status;
}

/** The mapping rows (our category code → their service_code) as the API's object; blank rows are left out. */
export function serviceCodes(rows: { category: string; code: string }[]): { map: Record<string, string> | null; error: StaffKey | null } {
  const map: Record<string, string> = {};
  for (const r of rows) {
    const category = r.category.trim();
    const code = r.code.trim();
    if (!category && !code) continue;
    if (!category || !code) return { map: null, error: "serviceCodeIncomplete" };
    if (category in map) return { map: null, error: "serviceCodeTwice" };
    map[category] = code;
  }
  return { map: Object.keys(map).length ? map : null, error: null };
}

/** The new destination's body: only the chosen channel's fields; null fields stay null. */
export function destinationBody(v: {
  nameDe: string;
  nameEn: string;
  channel: DestinationIn["channel"];
  url: string;
  apiKey: string;
  jurisdiction: string;
  email: string;
  codes: Record<string, string> | null;
}): DestinationIn {
  const t = (s: string) => s.trim() || null;
  const de = v.nameDe.trim();
  return {
    name_de: de,
    name_en: v.nameEn.trim() || de,
    channel: v.channel,
    url: v.channel === "email" ? null : t(v.url),
    api_key: v.channel === "open311" ? t(v.apiKey) : null,
    jurisdiction_id: v.channel === "open311" ? t(v.jurisdiction) : null,
    service_codes: v.channel === "open311" ? v.codes : null,
    email: v.channel === "email" ? t(v.email) : null,
    active: true,
  };
}

/** What a delivery's row says about the other side: their request id and status. */
export function remoteText(d: Pick<Delivery, "remote_id" | "remote_token" | "remote_status">): string {
  const parts = [d.remote_id ?? d.remote_token, d.remote_status ? st("remoteStatus", { s: d.remote_status }) : null].filter(Boolean);
  return parts.length ? parts.join(" · ") : "–";
}

// -- UI ---------------------------------------------------------------------------------------

let n = 0;

/** "An externe Stelle weitergeben": destination, note, "nur zur Kenntnis (Kopie)". */
export function externalForm(
  destinations: DestinationChoice[],
  onSend: (body: { destination: number; note: string | null; copy_only: boolean }) => Promise<void>,
  busy = false,
  key?: string,
  refusal = "",
): HTMLFormElement {
  const id = key ? `xf-${key}` : `xf-${++n}`;
  const sel = h("select", { id: `${id}-dest`, required: true }, h("option", { value: "" }, "—"), ...destinations.map((d) => h("option", { value: String(d.id) }, pick(d.name))));
  const note = h("textarea", { id: `${id}-note`, rows: 2, maxlength: 2000 });
  const copy = h("input", { type: "checkbox", id: `${id}-copy` });
  const err = h("p", { class: "field-error", id: `${id}-err`, "aria-live": "polite", tabindex: "-1" }, refusal);
  const btn = h("button", { type: "submit", class: "btn", disabled: busy }, st("externalSend"));
  const form = h(
    "form",
    { class: "forward-external" },
    h("div", { class: "field" }, h("label", { for: sel.id }, st("externalDestination")), sel),
    h("div", { class: "field" }, h("label", { for: note.id }, st("externalNote")), note),
    h("div", { class: "field check" }, copy, h("label", { for: copy.id }, st("externalCopyOnly"))),
    err,
    btn,
  );
  form.noValidate = true;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (!sel.value) {
      err.textContent = st("chooseDestination");
      sel.focus();
      return;
    }
    btn.disabled = true;
    try {
      await onSend({ destination: Number(sel.value), note: note.value.trim() || null, copy_only: copy.checked });
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

/** The ticket's deliveries: where, how it stands (with the error), attempts, their id and status; "Erneut senden" on a failed one. */
export function deliveriesList(list: Delivery[], onRetry: (d: Delivery) => void, busy = false): HTMLElement {
  if (!list.length) return h("p", { class: "hint" }, st("noDeliveries"));
  return h(
    "ul",
    { class: "deliveries" },
    ...list.map((d) =>
      h(
        "li",
        { class: `delivery delivery-${d.status}` },
        h("strong", {}, pick(d.destination_name)),
        " – ",
        h("span", { class: `tag delivery-state-${d.status}` }, deliveryStateText(d.status)),
        h(
          "dl",
          { class: "facts facts-small" },
          h("dt", {}, st("deliveryAttempts")),
          h("dd", {}, String(d.attempts)),
          h("dt", {}, st("deliveryCreated")),
          h("dd", {}, formatDateTime(d.created_at)),
          d.delivered_at ? [h("dt", {}, st("deliveryDelivered")), h("dd", {}, formatDateTime(d.delivered_at))] : null,
          h("dt", {}, st("deliveryRemote")),
          h("dd", {}, remoteText(d)),
        ),
        d.status === "failed" && d.error ? h("p", { class: "field-error" }, st("deliveryError"), " ", h("code", {}, d.error)) : null,
        d.status === "failed"
          ? h("button", { type: "button", class: "btn", disabled: busy, onclick: () => onRetry(d), "aria-label": st("retryDeliveryTo", { d: pick(d.destination_name) }) }, st("retryDelivery"))
          : null,
      ),
    ),
  );
}
