/** "Meine Liste": the department's open tickets, soonest deadline first, with a small map. */
import { h } from "../shared/dom";
import { formatDateTime, pick, statusLabel } from "../shared/i18n";
import L from "../shared/leaflet";
import { createMap } from "../shared/mapcommon";
import type { Ticket } from "../shared/types";
import { flagCount } from "./abuse";
import { listTickets, type QueueFilter } from "./api";
import { st } from "./i18n";
import { namesOf } from "./names";
import { city, errorText, type StaffView } from "./shell";
import { ageText, slaBadge, slaBadgeInfo, slaText } from "./sla";

const OPEN_STATES = ["new", "acknowledged", "in_progress", "waiting_external"];
/** Tickets a page holds; "Weitere laden" fetches the next page after the last one shown. */
export const PAGE = 100;
const filter: { status: string; assignee: string; sla: string } = { status: "", assignee: "", sla: "" };

/** Open the list filtered by a state (the board's link to the tickets waiting for external bodies). */
export function filterQueueByStatus(status: string): void {
  filter.status = OPEN_STATES.includes(status) ? status : "";
}

export function placeText(t: Pick<Ticket, "address" | "zones" | "lat" | "lon">): string {
  if (t.address) return t.address;
  const coords = `${t.lat.toFixed(5)}, ${t.lon.toFixed(5)}`;
  return t.zones?.length ? `${namesOf("zone", t.zones)} (${coords})` : coords;
}

function markerIcon(t: Ticket): L.DivIcon {
  const info = slaBadgeInfo(t.sla?.state);
  return L.divIcon({
    className: `mm-marker staff-marker staff-marker-${t.sla?.state ?? "unknown"}`,
    html: `<span aria-hidden="true">${info.symbol}</span>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
    popupAnchor: [0, -14],
  });
}

export function queueView(): StaffView {
  let items: Ticket[] | null = null;
  let total = 0;
  let capped = false;
  let next: string | null = null;
  let loadingMore = false;
  let error = "";
  let results: HTMLElement;
  let map: L.Map | null = null;
  let seq = 0;

  const query = (): QueueFilter => ({ status: filter.status || undefined, assignee: filter.assignee || undefined, sla: filter.sla || undefined, limit: PAGE });

  async function load(): Promise<void> {
    const mine = ++seq;
    loadingMore = false;
    try {
      const r = await listTickets(query());
      if (mine !== seq) return;
      items = r.items;
      ({ total, capped, next } = r);
      error = "";
    } catch (e) {
      if (mine !== seq) return;
      error = errorText(e);
    }
    draw();
  }

  /** The next page after the last ticket shown; the focus goes to the first new one. */
  async function loadMore(): Promise<void> {
    if (!next || loadingMore || !items) return;
    const mine = seq;
    const before = items.length;
    loadingMore = true;
    draw();
    try {
      const r = await listTickets({ ...query(), cursor: next });
      if (mine !== seq) return;
      items = [...items, ...r.items];
      ({ total, capped, next } = r);
      error = "";
    } catch (e) {
      if (mine !== seq) return;
      error = errorText(e);
    }
    loadingMore = false;
    draw();
    results.querySelectorAll<HTMLElement>(".queue-item .queue-id")[before]?.focus();
  }

  function countText(shown: number): string {
    if (!next && !capped) return st("queueCount", { n: total });
    return st(capped ? "queueShownCapped" : "queueShown", { shown, n: total });
  }

  function select(id: string, label: string, value: string, options: [string, string][], onChange: (v: string) => void): HTMLElement {
    const sel = h("select", { id }, ...options.map(([v, l]) => h("option", { value: v }, l)));
    sel.value = value;
    sel.addEventListener("change", () => onChange(sel.value));
    return h("div", { class: "field" }, h("label", { for: id }, label), sel);
  }

  function drawMap(el: HTMLElement, list: Ticket[]): void {
    map?.remove();
    map = null;
    void city().then((c) => {
      if (!el.isConnected) return;
      map = createMap(el, c, st("queueMap"));
      const pts: L.LatLngExpression[] = [];
      for (const t of list) {
        const mk = L.marker([t.lat, t.lon], { icon: markerIcon(t), title: `${t.public_id} – ${pick(t.category.name)} – ${slaText(t.sla?.state)}`, keyboard: false });
        mk.bindPopup(() => h("div", { class: "popup" }, h("a", { href: `#/ticket/${encodeURIComponent(t.public_id)}` }, t.public_id), h("br"), pick(t.category.name), h("br"), slaText(t.sla?.state)));
        mk.addTo(map!);
        pts.push([t.lat, t.lon]);
      }
      if (pts.length) map.fitBounds(L.latLngBounds(pts), { maxZoom: 16, padding: [20, 20], animate: false });
    }).catch(() => el.replaceChildren(h("p", { class: "hint" }, st("loadFailed"))));
  }

  function filtersForm(): HTMLElement {
    const filters = h(
      "form",
      { class: "filters", "aria-label": st("filters") },
      select("q-status", st("filterStatus"), filter.status, [["", st("allOpen")], ...OPEN_STATES.map((s) => [s, statusLabel(s)] as [string, string])], (v) => {
        filter.status = v;
        void load();
      }),
      select("q-assignee", st("filterAssignee"), filter.assignee, [["", st("all")], ["me", st("assigneeMine")], ["none", st("assigneeNone")]], (v) => {
        filter.assignee = v;
        void load();
      }),
      select("q-sla", st("filterSla"), filter.sla, [["", st("all")], ...["ok", "at_risk", "breached", "paused"].map((s) => [s, slaText(s)] as [string, string])], (v) => {
        filter.sla = v;
        void load();
      }),
    );
    filters.addEventListener("submit", (e) => e.preventDefault());
    return filters;
  }

  function draw(): void {
    const parts: (Node | null)[] = [];
    if (error) parts.push(h("div", { class: "alert", role: "alert" }, error));
    if (!items) {
      parts.push(h("p", { "aria-live": "polite" }, st("loading")));
      results.replaceChildren(...parts.filter((p): p is Node => !!p));
      return;
    }
    const list = items;
    parts.push(h("p", { class: "count", "aria-live": "polite" }, countText(list.length)));
    const mapEl = h("div", { class: "map map-queue" });
    if (list.length) parts.push(mapEl);
    parts.push(
      list.length
        ? h(
            "ul",
            { class: "queue", "aria-label": st("queueTitle") },
            ...list.map((t) =>
              h(
                "li",
                { class: `queue-item queue-${t.sla?.state ?? "unknown"}` },
                h("div", { class: "queue-head" }, h("a", { href: `#/ticket/${encodeURIComponent(t.public_id)}`, class: "queue-id" }, t.public_id), slaBadge(t.sla?.state)),
                h("div", { class: "queue-cat" }, h("strong", {}, pick(t.category.name)), " · ", statusLabel(t.status, t.status_label)),
                h(
                  "div",
                  { class: "queue-meta" },
                  st("age", { t: ageText(t.created_at) }),
                  t.sla?.deadline ? [" · ", st("due", { t: formatDateTime(t.sla.deadline) })] : null,
                  t.assignee ? [" · ", t.assignee.name] : null,
                  flagCount(t) ? [" · ", h("span", { class: "tag tag-flag" }, flagCount(t) === 1 ? st("abuseFlagOne") : st("abuseFlagCount", { n: flagCount(t) }))] : null,
                ),
                h("div", { class: "queue-place" }, placeText(t)),
              ),
            ),
          )
        : h("p", {}, st("queueEmpty")),
    );
    if (next) {
      parts.push(
        h(
          "button",
          { type: "button", class: "btn queue-more", disabled: loadingMore, "aria-busy": loadingMore ? "true" : "false", onclick: () => void loadMore() },
          loadingMore ? st("loadingMore") : st("loadMore"),
        ),
      );
    }
    results.replaceChildren(...parts.filter((p): p is Node => !!p));
    if (list.length) drawMap(mapEl, list);
  }

  return {
    render(main) {
      results = h("div", { class: "queue-results" });
      main.append(h("div", { class: "view-queue" }, h("h2", {}, st("queueTitle")), filtersForm(), results));
      draw();
      if (!items) void load();
    },
    destroy() {
      map?.remove();
      map = null;
      seq++;
    },
  };
}
