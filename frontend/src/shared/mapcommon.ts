/** Shared map setup: tiles and boundary from the city, labelled controls. */
import { pick, type Bilingual } from "./i18n";
import L from "./leaflet";
import type { City } from "./types";

/** The zoom buttons' titles, the same in both apps. */
const ZOOM_IN: Bilingual = { de: "Hineinzoomen", en: "Zoom in" };
const ZOOM_OUT: Bilingual = { de: "Herauszoomen", en: "Zoom out" };

export function createMap(el: HTMLElement, city: City, label: string, view?: { lat: number; lon: number; zoom: number }): L.Map {
  el.setAttribute("role", "region");
  el.setAttribute("aria-label", label);
  const map = L.map(el, { zoomControl: false, attributionControl: true });
  L.control.zoom({ zoomInTitle: pick(ZOOM_IN), zoomOutTitle: pick(ZOOM_OUT) }).addTo(map);
  map.attributionControl.setPrefix(false);
  L.tileLayer(city.tiles.url, { attribution: city.tiles.attribution, maxZoom: 19 }).addTo(map);
  const boundary = L.geoJSON(city.boundary as GeoJSON.GeoJsonObject, {
    interactive: false,
    style: { color: "#0b4f8a", weight: 3, fill: false, dashArray: "6 4" },
  }).addTo(map);
  const [minLon, minLat, maxLon, maxLat] = city.bbox;
  if (view) {
    map.setView([view.lat, view.lon], view.zoom, { animate: false });
  } else if (city.bbox && [minLon, minLat, maxLon, maxLat].every(Number.isFinite)) {
    map.fitBounds([[minLat, minLon], [maxLat, maxLon]]);
  } else {
    map.fitBounds(boundary.getBounds());
  }
  return map;
}

export function pinIcon(className = "mm-pin"): L.DivIcon {
  // 44 px wide and taller: a finger can take hold of it; the tip of the drawn pin is the place.
  return L.divIcon({ className, html: '<span aria-hidden="true"></span>', iconSize: [44, 48], iconAnchor: [22, 46] });
}
