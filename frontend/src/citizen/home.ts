/** The start screen: the map of public reports, filters, and "Mangel melden". */
import L from "../shared/leaflet";
import "./cluster";
import { h } from "../shared/dom";
import { pick, statusLabel } from "../shared/i18n";
import { createMap } from "../shared/mapcommon";
import type { Category, City, MapReport } from "../shared/types";
import { getReportsGeoJSON } from "./api";
import { categories, city, onEditQueued, show, type View } from "./app";
import { flowView } from "./flow";
import { t } from "./i18n";
import { networkFirst } from "./offline";
import { resumeOf } from "./queue";
import { reportPath } from "./routes";

const OPEN = "new,acknowledged,in_progress,waiting_external";
const DONE = "resolved,closed";

const filter = { category: "", status: "" };

// "Bearbeiten" on a refused report in the outbox opens it in the report flow.
onEditQueued((item) => show(flowView(() => show(homeView()), resumeOf(item))));

type MapAnswer = GeoJSON.FeatureCollection<GeoJSON.Point, MapReport>;

/**
 * The map's reports: fresh, or without a connection the last answer (one only, whatever its
 * view or filter: enough to see the city's reports after a reload offline). `stale` says so.
 */
async function mapReports(bbox: [number, number, number, number]): Promise<{ fc: MapAnswer; stale: boolean }> {
  let stale = true;
  const fc = await networkFirst("map", async () => {
    const fresh = await getReportsGeoJSON(bbox, filter);
    stale = false;
    return fresh;
  });
  return { fc, stale };
}

function popup(r: MapReport, name: string): HTMLElement {
  return h(
    "div",
    { class: "popup" },
    h("strong", {}, name),
    h("br"),
    h("span", { class: `status status-${r.status}` }, statusLabel(r.status)),
    h("br"),
    t("reportId", { id: r.public_id }),
    h("br"),
    h("a", { href: reportPath(r.public_id), "aria-label": t("detailsFor", { id: r.public_id }) }, t("details")),
  );
}

function markerIcon(r: MapReport): L.DivIcon {
  const open = !["resolved", "closed", "rejected", "duplicate"].includes(r.status);
  // The shape differs too (✓ vs !), so the state is not told by colour alone.
  return L.divIcon({
    className: `mm-marker ${open ? "mm-open" : "mm-done"}`,
    html: `<span aria-hidden="true">${open ? "!" : "✓"}</span>`,
    // The drawn dot is 28 px; the target around it 44 px (style.css), for a finger.
    iconSize: [44, 44],
    iconAnchor: [22, 22],
    popupAnchor: [0, -14],
  });
}

/** A cluster of markers: 44 px, a target a finger hits (markercluster's own is 40). */
function clusterIcon(group: L.MarkerCluster): L.DivIcon {
  const n = group.getChildCount();
  return L.divIcon({ html: `<div><span>${n}</span></div>`, className: "marker-cluster", iconSize: [44, 44] });
}

export function homeView(): View {
  let map: L.Map | null = null;
  let timer = 0;
  let seq = 0;
  // What to do when the connection comes back: load the map again, or draw the view anew.
  let retry: (() => void) | null = null;

  return {
    render(main) {
      map?.remove();
      map = null;
      const startBtn = h("button", { type: "button", class: "btn btn-primary btn-start", onclick: () => show(flowView(() => show(homeView()))) }, t("startReport"));
      const catSelect = h("select", { id: "f-category" }, h("option", { value: "" }, t("all")));
      const statusSelect = h(
        "select",
        { id: "f-status" },
        h("option", { value: "" }, t("all")),
        h("option", { value: OPEN }, t("statusOpen")),
        h("option", { value: DONE }, t("statusDone")),
      );
      statusSelect.value = filter.status;
      const count = h("p", { class: "count", "aria-live": "polite" });
      const mapEl = h("div", { class: "map map-home" });
      const error = h("div");
      main.append(
        h("p", { class: "intro" }, t("intro")),
        startBtn,
        h(
          "form",
          { class: "filters", "aria-label": t("filters"), onsubmit: (e: Event) => e.preventDefault() },
          h("div", { class: "field" }, h("label", { for: "f-category" }, t("filterCategory")), catSelect),
          h("div", { class: "field" }, h("label", { for: "f-status" }, t("filterStatus")), statusSelect),
        ),
        error,
        mapEl,
        count,
      );

      let cluster: L.MarkerClusterGroup | null = null;
      const load = async () => {
        if (!map || !cluster) return;
        const b = map.getBounds();
        const mine = ++seq;
        try {
          const [{ fc, stale }, cats] = await Promise.all([mapReports([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]), categories()]);
          if (mine !== seq || !cluster) return;
          cluster.clearLayers();
          // The map answer carries category codes; their names come from the category list.
          const names = new Map(cats.map((c) => [c.code, pick(c.name)]));
          const markers = fc.features.map((f) => {
            const [lon, lat] = f.geometry.coordinates;
            const r = f.properties;
            const name = names.get(r.category) ?? r.category;
            return L.marker([lat, lon], {
              icon: markerIcon(r),
              title: `${name} – ${statusLabel(r.status)} – ${r.public_id}`,
              alt: name,
              keyboard: true,
            }).bindPopup(() => popup(r, name));
          });
          cluster.addLayers(markers);
          count.textContent = t("reportsShown", { n: fc.features.length });
          error.replaceChildren(...(stale ? [h("p", { class: "hint" }, t("mapOffline"))] : []));
          retry = stale ? load : null;
        } catch {
          if (mine !== seq) return;
          error.replaceChildren(h("p", { class: "alert", role: "alert" }, t("loadFailed")));
          retry = load;
        }
      };
      const schedule = () => {
        window.clearTimeout(timer);
        timer = window.setTimeout(load, 250);
      };
      catSelect.addEventListener("change", () => {
        filter.category = catSelect.value;
        void load();
      });
      statusSelect.addEventListener("change", () => {
        filter.status = statusSelect.value;
        void load();
      });

      Promise.all([city(), categories()]).then(
        ([c, cats]: [City, Category[]]) => {
          if (!mapEl.isConnected) return;
          for (const cat of cats) catSelect.append(h("option", { value: cat.code }, pick(cat.name)));
          catSelect.value = filter.category;
          map = createMap(mapEl, c, t("mapLabel"));
          cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, iconCreateFunction: clusterIcon });
          map.addLayer(cluster);
          map.on("moveend", schedule);
          void load();
        },
        () => {
          error.replaceChildren(h("p", { class: "alert", role: "alert" }, t("loadFailed")));
          retry = () => {
            map?.remove();
            map = null;
            main.replaceChildren();
            this.render(main);
          };
        },
      );
    },
    reconnected() {
      const again = retry;
      retry = null;
      again?.();
    },
    destroy() {
      window.clearTimeout(timer);
      map?.remove();
      map = null;
    },
  };
}
