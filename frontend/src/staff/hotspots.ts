/** "Brennpunkte": where open and overdue tickets cluster, per zone and on a grid, for supervisors and admins. */
import { getCategories } from "../shared/api";
import type { components } from "../shared/api-types";
import { h, keepingFocus } from "../shared/dom";
import { pick } from "../shared/i18n";
import L from "../shared/leaflet";
import { createMap } from "../shared/mapcommon";
import type { Category, Department } from "../shared/types";
import { get } from "./api";
import { st } from "./i18n";
import { loadNames, nameOf } from "./names";
import { city, departments, errorText, type StaffView } from "./shell";

export type Hotspots = components["schemas"]["Hotspots"];
export type HotspotZone = components["schemas"]["HotspotZone"];
export type HotspotCells = components["schemas"]["HotspotCells"];

/** Shades of the choropleth, emptiest first (the first: no open ticket). */
export const SHADES = ["#f4f4f4", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"];
/** How many zones the table lists. */
export const TABLE_ROWS = 10;

/** The shade of a zone with `open` tickets when the fullest has `max`. */
export function shade(open: number, max: number): string {
  if (open <= 0 || max <= 0) return SHADES[0];
  const step = Math.ceil((open / max) * (SHADES.length - 1));
  return SHADES[Math.min(Math.max(step, 1), SHADES.length - 1)];
}

/** The map's box as the API wants it (min lon, min lat, max lon, max lat), clamped to the world. */
export function bboxParam(west: number, south: number, east: number, north: number): string {
  const c = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi).toFixed(5);
  return [c(west, -180, 180), c(south, -90, 90), c(east, -180, 180), c(north, -90, 90)].join(",");
}

/** The zones the table lists: those with open tickets, the fullest first, at most `TABLE_ROWS`. */
export function tableZones(zones: readonly HotspotZone[]): HotspotZone[] {
  return zones.filter((z) => z.open > 0).slice(0, TABLE_ROWS);
}

/** A cell's marker: its count, bigger with more tickets; red edged when some are overdue. */
function cellIcon(open: number, breached: number): L.DivIcon {
  const size = Math.round(Math.min(28 + Math.sqrt(open) * 4, 64));
  return L.divIcon({
    className: breached > 0 ? "hs-cell hs-cell-breached" : "hs-cell",
    html: `<span>${open}</span>`,
    iconSize: [size, size],
  });
}

const filter = { kind: "", department: "", category: "" };

export function hotspotsView(): StaffView {
  let answer: Hotspots | null = null;
  let cells: HotspotCells | null = null;
  let depts: Department[] = [];
  let cats: Category[] = [];
  let error = "";
  let alive = true;
  let map: L.Map | null = null;
  let zoneLayer: L.GeoJSON | null = null;
  const cellLayer = L.layerGroup();
  let cellRequest = 0;
  let results: HTMLElement;
  let cellNote: HTMLElement;
  let selects: HTMLElement;

  const query = () => ({ department: filter.department || undefined, category: filter.category || undefined });

  async function load(): Promise<void> {
    error = "";
    try {
      answer = await get<Hotspots>("/api/v1/board/hotspots", { kind: filter.kind || undefined, simplify: 0.0001, ...query() });
      filter.kind = answer.kind ?? "";
    } catch (e) {
      error = errorText(e);
    }
    if (!alive) return;
    drawFilters();
    drawResults();
    drawZones();
    void loadCells();
  }

  async function loadCells(): Promise<void> {
    if (!map) return;
    const b = map.getBounds();
    const mine = ++cellRequest;
    try {
      const answer = await get<HotspotCells>("/api/v1/board/hotspots/cells", {
        bbox: bboxParam(b.getWest(), b.getSouth(), b.getEast(), b.getNorth()),
        zoom: Math.min(Math.max(Math.round(map.getZoom()), 0), 20),
        ...query(),
      });
      if (!alive || mine !== cellRequest) return; // a newer view or filter asked meanwhile
      cells = answer;
    } catch (e) {
      if (mine !== cellRequest) return;
      cells = null;
      cellNote.textContent = errorText(e);
      return;
    }
    drawCells();
  }

  function drawZones(): void {
    if (!map) return;
    zoneLayer?.remove();
    zoneLayer = null;
    if (!answer?.zones.length) return;
    const max = answer.zones[0].open;
    const top = max > 0 ? answer.zones[0].key : null;
    zoneLayer = L.geoJSON(
      {
        type: "FeatureCollection",
        features: answer.zones.map((z) => ({ type: "Feature", id: z.key, properties: { key: z.key }, geometry: z.geometry })),
      } as GeoJSON.FeatureCollection,
      {
        style: (f) => {
          const z = answer!.zones.find((x) => x.key === f?.properties.key)!;
          const isTop = z.key === top;
          return {
            color: isTop ? "#000" : "#555",
            weight: isTop ? 4 : 1,
            fillColor: shade(z.open, max),
            fillOpacity: 0.55,
            className: isTop ? "hs-zone hs-top" : "hs-zone",
          };
        },
        onEachFeature: (f, layer) => {
          const z = answer!.zones.find((x) => x.key === f.properties.key)!;
          layer.bindTooltip(`${z.name}: ${st("hotspotsCell", { open: z.open, breached: z.breached })}`, { sticky: true });
        },
      },
    ).addTo(map);
    zoneLayer.bringToBack();
  }

  function drawCells(): void {
    cellLayer.clearLayers();
    if (!cells) return;
    for (const c of cells.cells) {
      L.marker([c.lat, c.lon], { icon: cellIcon(c.open, c.breached), keyboard: false, interactive: false }).addTo(cellLayer);
    }
    cellNote.textContent = [
      st("hotspotsInView", { open: cells.total.open, breached: cells.total.breached }),
      cells.truncated ? st("hotspotsTruncated", { n: cells.cells.length }) : "",
    ]
      .filter(Boolean)
      .join(" ");
  }

  function zoneTable(): HTMLElement {
    const rows = tableZones(answer?.zones ?? []);
    if (!rows.length) return h("p", {}, st("hotspotsNone"));
    const rest = (answer?.zones.length ?? 0) - (answer?.zones.filter((z) => z.open > 0).length ?? 0);
    return h(
      "div",
      {},
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "data hotspots" },
          h("caption", {}, st("hotspotsTable")),
          h("thead", {}, h("tr", {}, ...[st("hotspotsZone"), st("open"), st("breached")].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...rows.map((z, i) =>
              h("tr", { class: i === 0 ? "hs-top" : null }, h("th", { scope: "row" }, z.name), h("td", { class: "num" }, String(z.open)), h("td", { class: "num" }, String(z.breached))),
            ),
          ),
        ),
      ),
      rest > 0 ? h("p", { class: "hint" }, st("hotspotsMore", { n: rest })) : null,
    );
  }

  function legend(): HTMLElement | null {
    if (!answer?.zones.length) return null;
    const max = answer.zones[0].open;
    const steps = SHADES.map((colour, i) => {
      const lo = i === 0 ? 0 : Math.floor(((i - 1) / (SHADES.length - 1)) * max) + 1;
      const hi = i === 0 ? 0 : Math.floor((i / (SHADES.length - 1)) * max);
      return { colour, label: i === 0 ? "0" : lo >= hi ? String(hi) : `${lo}–${hi}` };
    }).filter((s, i) => i === 0 || (max > 0 && s.label !== "0"));
    return h(
      "div",
      { class: "hs-legend" },
      h("span", { class: "hs-legend-title" }, st("hotspotsLegend")),
      h("ul", {}, ...steps.map((s) => h("li", {}, h("span", { class: "hs-swatch", style: `background:${s.colour}`, "aria-hidden": "true" }), s.label))),
    );
  }

  function drawResults(): void {
    const parts: (Node | null)[] = [];
    if (error) parts.push(h("div", { class: "alert", role: "alert" }, error));
    if (answer) {
      if (!answer.zones.length) parts.push(h("p", {}, st("hotspotsNoZones")));
      const top = answer.zones[0];
      parts.push(
        h(
          "p",
          { class: "hs-totals", role: "status" },
          st("hotspotsTotals", { open: answer.total.open, breached: answer.total.breached, outside: answer.outside.open }),
          top && top.open > 0 ? " " + st("hotspotsTop", { name: top.name, n: top.open }) : "",
        ),
        legend(),
        zoneTable(),
      );
    } else if (!error) parts.push(h("p", { "aria-live": "polite" }, st("loading")));
    results.replaceChildren(...parts.filter((p): p is Node => !!p));
  }

  function select(id: string, label: string, value: string, options: [string, string][], onChange: (v: string) => void): HTMLElement {
    const sel = h("select", { id }, ...options.map(([v, l]) => h("option", { value: v }, l)));
    sel.value = value;
    sel.addEventListener("change", () => onChange(sel.value));
    return h("div", { class: "field" }, h("label", { for: id }, label), sel);
  }

  function drawFilters(): void {
    const kinds = answer?.kinds ?? (filter.kind ? [filter.kind] : []);
    const all: [string, string] = ["", st("all")];
    // Drawn again when an answer arrives: a filter chosen with the keyboard keeps the focus.
    keepingFocus(selects, () => selects.replaceChildren(
      ...(kinds.length ? [select("hs-kind", st("hotspotsKind"), filter.kind, kinds.map((k) => [k, nameOf("zone_kind", k)]), (v) => ((filter.kind = v), void load()))] : []),
      select("hs-dept", st("department"), filter.department, [all, ...depts.map((d) => [d.code, pick(d.name)] as [string, string])], (v) => ((filter.department = v), void load())),
      select("hs-cat", st("category"), filter.category, [all, ...cats.map((c) => [c.code, pick(c.name)] as [string, string])], (v) => ((filter.category = v), void load())),
    ));
  }

  async function loadRefs(): Promise<void> {
    const [d, c] = await Promise.all([departments().catch(() => [] as Department[]), getCategories().catch(() => [] as Category[]), loadNames().catch(() => undefined)]);
    depts = d;
    cats = c;
    if (alive) drawFilters();
  }

  async function startMap(el: HTMLElement): Promise<void> {
    try {
      const c = await city();
      if (!alive) return;
      map = createMap(el, c, st("hotspotsMap"));
      cellLayer.addTo(map);
      map.on("moveend", () => void loadCells());
      drawZones();
      void loadCells();
    } catch (e) {
      el.replaceChildren(h("div", { class: "alert", role: "alert" }, errorText(e)));
    }
  }

  return {
    render(main) {
      map?.remove();
      map = null;
      zoneLayer = null;
      results = h("div", { class: "hotspot-results" });
      cellNote = h("p", { class: "hint hs-cells-note", "aria-live": "polite" });
      selects = h("div", { class: "row" });
      const form = h("form", { class: "filters", "aria-label": st("filters") }, selects);
      form.addEventListener("submit", (e) => e.preventDefault());
      const mapEl = h("div", { class: "map map-hotspots" });
      main.append(
        h(
          "div",
          { class: "view-hotspots" },
          h("h2", {}, st("hotspotsTitle")),
          h("p", {}, st("hotspotsIntro"), " ", h("a", { href: "#/board" }, st("hotspotsBack"))),
          form,
          h("div", { class: "hs-layout" }, h("div", { class: "hs-map" }, mapEl, cellNote), results),
        ),
      );
      drawFilters();
      drawResults();
      void startMap(mapEl);
      if (!depts.length) void loadRefs();
      void load();
    },
    destroy() {
      alive = false;
      map?.remove();
      map = null;
    },
  };
}
