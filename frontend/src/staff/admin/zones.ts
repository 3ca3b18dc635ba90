/** "Verwaltung", zones: the current ones drawn by kind, a GeoJSON file previewed over them and imported. */
import { h, keepingFocus } from "../../shared/dom";
import L from "../../shared/leaflet";
import { createMap } from "../../shared/mapcommon";
import type { ZoneImportResult } from "../../shared/types";
import { call, get } from "../api";
import { st } from "../i18n";
import { nameOf, learnNames } from "../names";
import { city, errorText, messageEl } from "../shell";
import { field, section, type Msg, type Section } from "./form";

export function featureNames(fc: GeoJSON.FeatureCollection): string[] {
  return fc.features.map((f, i) => String(f.properties?.name ?? f.properties?.id ?? f.id ?? `#${i + 1}`));
}

/** A parsed GeoJSON FeatureCollection, or null when the text is not one. */
export function parseFeatureCollection(raw: string): GeoJSON.FeatureCollection | null {
  try {
    const v = JSON.parse(raw) as GeoJSON.FeatureCollection;
    return v && v.type === "FeatureCollection" && Array.isArray(v.features) ? v : null;
  } catch {
    return null;
  }
}

/** Outline colours of the existing zones, by the kind's place in the sorted list (preview: red, dashed). */
export const KIND_COLOURS = ["#0b4f8a", "#00703c", "#6f3c97", "#8a5a00", "#005f73", "#5c5c5c"];
/** Simplification tolerance in degrees (about 10 m) for the outlines drawn: small over the wire. */
export const ZONE_SIMPLIFY = 0.0001;

export function kindColour(kinds: string[], kind: string): string {
  const i = kinds.indexOf(kind);
  return KIND_COLOURS[(i < 0 ? 0 : i) % KIND_COLOURS.length];
}

/** The zone kinds present, sorted; each once. */
export function zoneKinds(fc: GeoJSON.FeatureCollection | null): string[] {
  return [...new Set((fc?.features ?? []).map((f) => String(f.properties?.kind ?? "")))].filter(Boolean).sort();
}

/** A kind as people read it (names.ts: a known kind in words, any other as a readable phrase). */
export function kindLabel(kind: string): string {
  return nameOf("zone_kind", kind);
}

/** A zone's label on the map: its name, never its code. */
function zoneName(f: GeoJSON.Feature): string {
  return String(f.properties?.name || nameOf("zone", f.id === undefined ? null : String(f.id)));
}

export function zonesSection(): Section {
  const { root, body } = section("zones", "a-zones");
  let existing: GeoJSON.FeatureCollection | null = null;
  let preview: GeoJSON.FeatureCollection | null = null;
  let kind = "district";
  let msg: Msg = null;
  let map: L.Map | null = null;
  /** The drawn layer of each existing kind, and whether it is shown (kept across redraws). */
  const layers = new Map<string, L.GeoJSON>();
  const hidden = new Set<string>();

  function labelled(layer: L.GeoJSON, cls: string): void {
    layer.eachLayer((l) => {
      const f = (l as L.Layer & { feature?: GeoJSON.Feature }).feature;
      // An element, not a string: a string would be read as HTML.
      if (f) l.bindTooltip(h("span", {}, zoneName(f)), { permanent: true, direction: "center", className: cls });
    });
  }

  function showMap(mapEl: HTMLElement): void {
    void city().then((c) => {
      if (!mapEl.isConnected) return;
      map?.remove();
      layers.clear();
      map = createMap(mapEl, c, st("zoneMap"));
      const kinds = zoneKinds(existing);
      for (const k of kinds) {
        const colour = kindColour(kinds, k);
        const fc: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: (existing?.features ?? []).filter((f) => f.properties?.kind === k) };
        const layer = L.geoJSON(fc, { style: { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.08, className: `zone zone-kind-${k}` } });
        labelled(layer, "zone-label");
        layers.set(k, layer);
        if (!hidden.has(k)) layer.addTo(map);
      }
      map.createPane("zonePreview").style.zIndex = "450"; // over the existing zones
      let bounds: L.LatLngBounds | null = null;
      if (preview) {
        const layer = L.geoJSON(preview, { pane: "zonePreview", style: { color: "#a4161a", weight: 3, dashArray: "8 5", fillColor: "#a4161a", fillOpacity: 0.2, className: "zone-preview" } }).addTo(map);
        labelled(layer, "zone-label zone-label-preview");
        bounds = layer.getBounds();
      } else if (layers.size) {
        bounds = L.featureGroup([...layers.values()]).getBounds();
      }
      if (bounds?.isValid()) map.fitBounds(bounds, { animate: false });
    }).catch(() => undefined);
  }

  /** The legend: one checkbox per kind, its colour and count, toggling that kind's layer. */
  function legend(): HTMLElement {
    const kinds = zoneKinds(existing);
    const items = kinds.map((k) => {
      const n = (existing?.features ?? []).filter((f) => f.properties?.kind === k).length;
      const id = `z-show-${k}`;
      const cb = h("input", { type: "checkbox", id, checked: !hidden.has(k) });
      cb.addEventListener("change", () => {
        if (cb.checked) hidden.delete(k);
        else hidden.add(k);
        const layer = layers.get(k);
        if (layer && map) {
          if (cb.checked) layer.addTo(map);
          else layer.remove();
        }
      });
      return h(
        "div",
        { class: "field check" },
        cb,
        h("label", { for: id }, h("span", { class: "zone-swatch", style: `border-color: ${kindColour(kinds, k)}`, "aria-hidden": "true" }), st("zoneLayer", { kind: kindLabel(k), n })),
      );
    });
    return h(
      "fieldset",
      { class: "zone-legend" },
      h("legend", {}, st("zoneLegend")),
      ...items,
      preview ? h("p", { class: "zone-legend-preview" }, h("span", { class: "zone-swatch zone-swatch-preview", "aria-hidden": "true" }), st("zonePreviewLegend", { n: preview.features.length })) : "",
    );
  }

  const s: Section = {
    root,
    async load() {
      try {
        existing = await get<GeoJSON.FeatureCollection>(`/api/v1/admin/zones?simplify=${ZONE_SIMPLIFY}`);
        learnNames("zone", existing.features.map((f) => ({ key: f.id === undefined ? null : String(f.id), name: f.properties?.name as string | null })));
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const kinds = zoneKinds(existing);
      const byKind = kinds.map((k) => `${kindLabel(k)}: ${(existing?.features ?? []).filter((f) => f.properties?.kind === k).map(zoneName).join(", ")}`);
      const file = h("input", { type: "file", accept: ".geojson,.json,application/geo+json,application/json" });
      const kindIn = h("input", { type: "text", list: "z-kinds", required: true, value: kind, pattern: "[a-z][a-z0-9_-]*" });
      kindIn.addEventListener("input", () => (kind = kindIn.value.trim()));
      const mapEl = h("div", { class: "map map-zones" });
      file.addEventListener("change", async () => {
        const f = file.files?.[0];
        if (!f) return;
        preview = parseFeatureCollection(await f.text());
        msg = preview ? null : { text: st("zoneBadFile"), kind: "error" };
        s.draw();
      });
      const importBtn = h("button", { type: "button", class: "btn btn-primary" }, st("zoneImport"));
      importBtn.addEventListener("click", async () => {
        if (!preview) {
          msg = { text: st("zoneNeedFile"), kind: "error" };
          s.draw();
          return;
        }
        if (!kind) {
          msg = { text: st("zoneNeedKind"), kind: "error" };
          s.draw();
          return;
        }
        importBtn.disabled = true;
        try {
          const r = await call<ZoneImportResult>(
            `/api/v1/admin/zones/import?kind=${encodeURIComponent(kind)}`,
            { json: preview },
          );
          const d = r.data;
          msg = { text: st("zoneResult", { kind: d.kind, added: d.added?.length ?? 0, changed: d.changed?.length ?? 0, removed: d.removed?.length ?? 0, unchanged: d.unchanged?.length ?? 0 }), kind: "ok" };
          preview = null;
          await s.load();
        } catch (err) {
          msg = { text: errorText(err), kind: "error" };
          s.draw();
        }
      });
      // The zones arriving while a kind is typed: what is typed (`kind`) and the caret stay.
      keepingFocus(body, () => body.replaceChildren(
        h("p", { class: "hint" }, st("zoneCurrent", { list: byKind.join(" · ") || "–" })),
        field("z-file", st("geojsonFile"), file),
        field("z-kind", st("zoneKind"), kindIn),
        h("datalist", { id: "z-kinds" }, ...kinds.map((k) => h("option", { value: k }))),
        preview ? h("p", {}, st("zoneFeatures", { n: preview.features.length, names: featureNames(preview).join(", ") })) : "",
        legend(),
        mapEl,
        h("div", { class: "msg-anchor", "aria-live": "polite" }, messageEl(msg) ?? ""),
        h("div", { class: "row" }, importBtn),
      ));
      showMap(mapEl);
    },
  };
  return s;
}
