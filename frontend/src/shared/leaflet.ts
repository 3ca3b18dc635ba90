/** Leaflet with markercluster (a UMD plugin that needs the global L) and our CSS. */
import L from "leaflet";
import "leaflet/dist/leaflet.css";

(globalThis as unknown as { L: typeof L }).L = L;

export default L;
