/** "Verwaltung", zones: the current ones by kind, a GeoJSON file previewed on the map and imported. */
import { h } from "../../shared/dom";
import L from "../../shared/leaflet";
import { createMap } from "../../shared/mapcommon";
import type { ZoneImportResult } from "../../shared/types";
import { call, get } from "../api";
import { st } from "../i18n";
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

export function zonesSection(): Section {
  const { root, body } = section("zones", "a-zones");
  let existing: GeoJSON.FeatureCollection | null = null;
  let preview: GeoJSON.FeatureCollection | null = null;
  let kind = "district";
  let msg: Msg = null;
  let map: L.Map | null = null;
  let layer: L.GeoJSON | null = null;

  function showPreview(mapEl: HTMLElement): void {
    void city().then((c) => {
      if (!mapEl.isConnected) return;
      map?.remove();
      map = createMap(mapEl, c, st("zonePreview"));
      if (preview) {
        layer = L.geoJSON(preview, { style: { color: "#a4161a", weight: 2, fillOpacity: 0.15 } }).addTo(map);
        layer.eachLayer((l) => {
          const f = (l as L.Layer & { feature?: GeoJSON.Feature }).feature;
          if (f) l.bindTooltip(h("span", {}, String(f.properties?.name ?? f.id ?? ""))); // a string would be HTML
        });
        const b = layer.getBounds();
        if (b.isValid()) map.fitBounds(b, { animate: false });
      }
    }).catch(() => undefined);
  }

  const s: Section = {
    root,
    async load() {
      try {
        existing = await get<GeoJSON.FeatureCollection>("/api/v1/admin/zones");
      } catch (e) {
        msg = { text: errorText(e), kind: "error" };
      }
      s.draw();
    },
    draw() {
      const kinds = [...new Set((existing?.features ?? []).map((f) => String(f.properties?.kind ?? "")))].filter(Boolean);
      const byKind = kinds.map((k) => `${k}: ${(existing?.features ?? []).filter((f) => f.properties?.kind === k).map((f) => f.properties?.name ?? f.id).join(", ")}`);
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
      body.replaceChildren(
        h("p", { class: "hint" }, st("zoneCurrent", { list: byKind.join(" · ") || "–" })),
        field("z-file", st("geojsonFile"), file),
        field("z-kind", st("zoneKind"), kindIn),
        h("datalist", { id: "z-kinds" }, ...kinds.map((k) => h("option", { value: k }))),
        preview ? h("p", {}, st("zoneFeatures", { n: preview.features.length, names: featureNames(preview).join(", ") })) : "",
        mapEl,
        h("div", { class: "msg-anchor", "aria-live": "polite" }, messageEl(msg) ?? ""),
        h("div", { class: "row" }, importBtn),
      );
      showPreview(mapEl);
    },
  };
  return s;
}
