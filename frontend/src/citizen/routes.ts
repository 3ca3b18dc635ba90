/** Which view a path of the citizen app opens (Flask serves index.html for each of them). */

export type Route =
  | { kind: "home" }
  | { kind: "track"; token: string }
  | { kind: "report"; publicId: string }
  | { kind: "confirm"; token: string };

const PATTERNS: [RegExp, (arg: string) => Route][] = [
  [/^\/track\/([^/?#]+)\/?$/, (token) => ({ kind: "track", token })],
  [/^\/reports\/([^/?#]+)\/?$/, (publicId) => ({ kind: "report", publicId })],
  [/^\/confirm\/([^/?#]+)\/?$/, (token) => ({ kind: "confirm", token })],
];

export function routeFromPath(path: string): Route {
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) {
      try {
        return make(decodeURIComponent(m[1]));
      } catch {
        return { kind: "home" }; // a malformed escape: the start screen rather than an error
      }
    }
  }
  return { kind: "home" };
}

/** The path of a report's public page. */
export function reportPath(publicId: string): string {
  return `/reports/${encodeURIComponent(publicId)}`;
}
