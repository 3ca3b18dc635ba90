/**
 * Step 1 of a report: an explicit place. Nothing is chosen until the citizen picks an address,
 * uses the GPS fix, taps the map, drags or moves the pin with the arrow keys, or takes the map
 * centre (the crosshair); only then may they go on. The pin shows its street address.
 */
import { h } from "../shared/dom";
import L from "../shared/leaflet";
import { createMap, pinIcon } from "../shared/mapcommon";
import type { Address, City } from "../shared/types";
import { getReportsGeoJSON, reverseAddress, searchAddresses } from "./api";
import { addressSearch } from "./address";
import { city } from "./app";
import { pointInGeometry } from "./geo";
import { t } from "./i18n";

/** What the place step fills in on the draft. */
export interface Place {
  lat: number | null;
  lon: number | null;
  /** The chosen place's address label ("" while none is known). */
  address: string;
}

export interface PlaceStep {
  destroy(): void;
}

/** The open states a place map shows, so a citizen sees what is already reported. */
const OPEN = "new,acknowledged,in_progress,waiting_external";
/** A pin placed by hand starts this close (or closer, if the map already is). */
const PLACED_ZOOM = 17;
/** Screen pixels one arrow key press moves the pin; with Shift, five times as far. */
const KEY_PIXELS = 10;
const BIG_FACTOR = 5;
const METRES_PER_DEGREE = 111_320;
/** Farther than this from the pin, a house address reads "bei …". */
const NEAR_METRES = 25;

export type Direction = "north" | "south" | "east" | "west";

const ARROWS: Record<string, Direction> = { ArrowUp: "north", ArrowDown: "south", ArrowRight: "east", ArrowLeft: "west" };

export function arrowDirection(key: string): Direction | null {
  return ARROWS[key] ?? null;
}

/** Ground metres per screen pixel of a Web Mercator map at a zoom and latitude. */
export function metresPerPixel(zoom: number, lat: number): number {
  return (156_543.03392 * Math.cos((lat * Math.PI) / 180)) / 2 ** zoom;
}

/**
 * How far one arrow key press moves the pin: about ten screen pixels at the map's zoom, rounded
 * down to 1, 2 or 5 times a power of ten (metres), so the announcement reads well; Shift: fifty.
 */
export function keyStepMetres(zoom: number, lat: number, big = false): number {
  const raw = metresPerPixel(zoom, lat) * KEY_PIXELS * (big ? BIG_FACTOR : 1);
  if (raw <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const nice = [5, 2, 1].find((f) => f * power <= raw)!;
  return nice * power;
}

/** The point `metres` away from (lat, lon) in a direction. */
export function moveBy(lat: number, lon: number, dir: Direction, metres: number): { lat: number; lon: number } {
  const dLat = metres / METRES_PER_DEGREE;
  const dLon = metres / (METRES_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
  switch (dir) {
    case "north":
      return { lat: lat + dLat, lon };
    case "south":
      return { lat: lat - dLat, lon };
    case "east":
      return { lat, lon: lon + dLon };
    case "west":
      return { lat, lon: lon - dLon };
  }
}

/** What the place reads as: its address ("bei …" when only near it), else its coordinates. */
export function placeText(address: Address | null, lat: number, lon: number): string {
  if (!address) return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  const near = address.precision === "street" || (address.distance_m ?? 0) > NEAR_METRES;
  return near ? t("nearAddress", { address: address.label }) : address.label;
}

const DIRECTION_KEY = { north: "dirNorth", south: "dirSouth", east: "dirEast", west: "dirWest" } as const;

/**
 * Draw the place step into root: header, the address search, the buttons, the map with its
 * crosshair and the open reports around, the place in words, then nav (whose next button it
 * enables once a place inside the city is chosen).
 */
export function placeStep(root: HTMLElement, draft: Place, parts: { header: HTMLElement[]; nav: HTMLElement; next: HTMLButtonElement }): PlaceStep {
  const mapEl = h("div", { class: "map map-pin" });
  const crosshair = h("div", { class: "crosshair", "aria-hidden": "true" });
  const place = h("p", { class: "place", id: "place-status", "aria-live": "polite" });
  const alertBox = h("div");
  const geoStatus = h("p", { class: "hint", "aria-live": "polite" });
  const locate = h("button", { type: "button", class: "btn" }, t("useMyPosition"));
  const centre = h("button", { type: "button", class: "btn" }, t("useMapCentre"));
  const { next } = parts;
  let map: L.Map | null = null;
  let marker: L.Marker | null = null;
  let boundary: GeoJSON.Geometry | null = null;
  let cityName = "";
  let lookupTimer = 0;
  let lookupPending: (() => void) | null = null;
  let lookupSeq = 0;
  let reportsTimer = 0;
  let reportsSeq = 0;
  const existing = L.layerGroup();
  /** The last arrow key move in words; it stays in front of the place until the next choice. */
  let moved = "";

  const tell = (words: string) => (place.textContent = moved ? `${moved} ${words}` : words);

  const search = addressSearch({
    id: "address-search",
    search: async (text) => (await searchAddresses(text)).items,
    onPick: (a) => choose(a.lat, a.lon, { pan: true, address: a }),
  });

  next.disabled = draft.lat === null;
  place.textContent = draft.lat === null ? t("placeNone") : t("chosenAddress", { address: draft.address || placeText(null, draft.lat, draft.lon!) });

  root.append(
    ...parts.header,
    h("p", { class: "hint" }, t("whereHelp")),
    search.el,
    h("div", { class: "row" }, locate, centre),
    geoStatus,
    h("div", { class: "map-wrap" }, mapEl, crosshair),
    h("p", { class: "hint" }, t("existingLegend")),
    place,
    alertBox,
    parts.nav,
  );

  function showPin(lat: number, lon: number): void {
    if (!map) return;
    if (marker) {
      marker.setLatLng([lat, lon]);
      return;
    }
    marker = L.marker([lat, lon], { draggable: true, keyboard: true, icon: pinIcon(), title: t("pinLabel"), autoPan: true, zIndexOffset: 1000 }).addTo(map);
    const el = marker.getElement();
    el?.setAttribute("aria-label", t("pinLabel"));
    el?.setAttribute("aria-describedby", "place-status");
    marker.on("dragend", () => {
      const ll = marker!.getLatLng();
      choose(ll.lat, ll.lng);
    });
    el?.addEventListener("keydown", onPinKey);
  }

  function onPinKey(e: KeyboardEvent): void {
    const dir = arrowDirection(e.key);
    if (!dir || !map || draft.lat === null || draft.lon === null) return;
    // The pin moves, not the map underneath it.
    e.preventDefault();
    e.stopPropagation();
    const m = keyStepMetres(map.getZoom(), draft.lat, e.shiftKey);
    const to = moveBy(draft.lat, draft.lon, dir, m);
    choose(to.lat, to.lon, { moved: t("pinMoved", { m, dir: t(DIRECTION_KEY[dir]) }) });
    if (!map.getBounds().pad(-0.1).contains([to.lat, to.lon])) map.panTo([to.lat, to.lon], { animate: false });
  }

  /** Take (lat, lon) as the place: pin, text, the city check, and its address. */
  function choose(lat: number, lon: number, how: { pan?: boolean; address?: Address; moved?: string } = {}): void {
    draft.lat = lat;
    draft.lon = lon;
    draft.address = how.address?.label ?? "";
    showPin(lat, lon);
    // No animation: leaving the step mid-zoom would make Leaflet touch a removed map.
    if (how.pan && map) map.setView([lat, lon], Math.max(map.getZoom(), PLACED_ZOOM), { animate: false });
    moved = how.moved ?? "";
    tell(t("chosenAddress", { address: how.address ? how.address.label : placeText(null, lat, lon) }));
    const inside = boundary ? pointInGeometry(lon, lat, boundary) : true;
    next.disabled = !inside;
    alertBox.replaceChildren(...(inside ? [] : [h("p", { class: "alert", role: "alert" }, t("outside", { city: cityName }))]));
    if (!how.address) scheduleLookup(lat, lon);
    else cancelLookup();
  }

  function cancelLookup(): void {
    window.clearTimeout(lookupTimer);
    lookupPending = null;
    lookupSeq++;
  }

  /** The pin's address, looked up once it has rested a moment (arrow keys press fast). */
  function scheduleLookup(lat: number, lon: number): void {
    cancelLookup();
    const mine = lookupSeq;
    lookupPending = () => {
      lookupPending = null;
      reverseAddress(lat, lon).then(
        ({ address }) => {
          // Only while the place is still this one (a later choice may have been made since).
          if (mine !== lookupSeq || draft.lat !== lat || draft.lon !== lon) return;
          draft.address = address?.label ?? "";
          if (address && place.isConnected) tell(t("chosenAddress", { address: placeText(address, lat, lon) }));
        },
        () => undefined, // coordinates stay as the fallback
      );
    };
    lookupTimer = window.setTimeout(() => lookupPending?.(), 300);
  }

  async function loadExisting(): Promise<void> {
    if (!map) return;
    const b = map.getBounds();
    const mine = ++reportsSeq;
    try {
      const fc = await getReportsGeoJSON([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], { status: OPEN });
      if (mine !== reportsSeq || !map) return;
      existing.clearLayers();
      for (const f of fc.features) {
        const [lon, lat] = f.geometry.coordinates;
        // Not interactive: a tap on one places the pin there rather than opening anything.
        L.circleMarker([lat, lon], { radius: 6, interactive: false, className: "mm-existing", color: "#fff", weight: 2, fillColor: "#a4161a", fillOpacity: 0.9 }).addTo(existing);
      }
    } catch {
      /* the place can be chosen without them */
    }
  }

  locate.addEventListener("click", () => {
    if (!("geolocation" in navigator)) {
      geoStatus.textContent = t("locateFailed");
      return;
    }
    geoStatus.textContent = t("locating");
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        if (!mapEl.isConnected) return;
        geoStatus.textContent = "";
        choose(pos.coords.latitude, pos.coords.longitude, { pan: true });
      },
      () => (geoStatus.textContent = t("locateFailed")),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  });
  centre.addEventListener("click", () => {
    if (!map) return;
    const ll = map.getCenter();
    choose(ll.lat, ll.lng);
  });

  city().then(
    (c: City) => {
      if (!mapEl.isConnected) return;
      boundary = c.boundary as GeoJSON.Geometry;
      cityName = c.name;
      const start = draft.lat !== null && draft.lon !== null ? { lat: draft.lat, lon: draft.lon, zoom: PLACED_ZOOM } : { lat: c.centre.lat, lon: c.centre.lon, zoom: 15 };
      map = createMap(mapEl, c, t("pinMapLabel"), start);
      existing.addTo(map);
      map.on("click", (e: L.LeafletMouseEvent) => choose(e.latlng.lat, e.latlng.lng));
      map.on("moveend", () => {
        window.clearTimeout(reportsTimer);
        reportsTimer = window.setTimeout(() => void loadExisting(), 250);
      });
      void loadExisting();
      if (draft.lat !== null && draft.lon !== null) {
        // Back from a later step: the chosen place is kept, with its address.
        showPin(draft.lat, draft.lon);
        const inside = pointInGeometry(draft.lon, draft.lat, boundary);
        next.disabled = !inside;
      }
    },
    () => alertBox.replaceChildren(h("p", { class: "alert", role: "alert" }, t("loadFailed"))),
  );

  return {
    destroy() {
      // A lookup still waiting for the pin to rest is made now, so the address goes along.
      const pending = lookupPending;
      window.clearTimeout(lookupTimer);
      if (pending) pending();
      window.clearTimeout(reportsTimer);
      reportsSeq++;
      search.destroy();
      map?.remove();
      map = null;
      marker = null;
    },
  };
}
