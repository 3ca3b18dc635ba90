/** Point-in-polygon by ray casting, on GeoJSON coordinates ([lon, lat]). */

type Ring = number[][];

/** Whether (x, y) lies inside the closed ring (ray casting; the ring may or may not repeat its first point). */
export function pointInRing(x: number, y: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the outer ring and in none of the holes. */
export function pointInPolygon(x: number, y: number, rings: Ring[]): boolean {
  if (!rings.length || !pointInRing(x, y, rings[0])) return false;
  return !rings.slice(1).some((hole) => pointInRing(x, y, hole));
}

type AnyGeo = GeoJSON.Geometry | GeoJSON.Feature | GeoJSON.FeatureCollection | null | undefined;

/** Whether the point (lon, lat) lies in a Polygon/MultiPolygon, Feature or FeatureCollection. */
export function pointInGeometry(lon: number, lat: number, geo: AnyGeo): boolean {
  if (!geo) return false;
  switch (geo.type) {
    case "Polygon":
      return pointInPolygon(lon, lat, geo.coordinates);
    case "MultiPolygon":
      return geo.coordinates.some((poly) => pointInPolygon(lon, lat, poly));
    case "Feature":
      return pointInGeometry(lon, lat, geo.geometry);
    case "FeatureCollection":
      return geo.features.some((f) => pointInGeometry(lon, lat, f));
    case "GeometryCollection":
      return geo.geometries.some((g) => pointInGeometry(lon, lat, g));
    default:
      return false;
  }
}
