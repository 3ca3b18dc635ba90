/**
 * No module of either app imports itself round about: the relative imports of every .ts file
 * under src form a graph without cycles (type-only imports count too).
 */
import { describe, expect, it } from "vitest";

/**
 * Every .ts file under src, by its path from the project root ("/src/citizen/app.ts"); not this
 * one, whose examples below would read as imports (and which nothing imports).
 */
const SOURCES = Object.fromEntries(
  Object.entries(import.meta.glob<string>("/src/**/*.ts", { query: "?raw", import: "default", eager: true })).filter(
    ([path]) => path !== "/src/shared/no-cycles.test.ts",
  ),
);
/** Every file under src (stylesheets too), to tell a missing one from an asset. */
const ALL_FILES = Object.keys(import.meta.glob("/src/**/*"));

const STATIC = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gm;
const SIDE_EFFECT = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The relative specifiers a source imports: `import … from`, `export … from`, `import "…"`, `import("…")`. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const re of [STATIC, SIDE_EFFECT, DYNAMIC]) {
    for (const m of source.matchAll(re)) if (m[1].startsWith(".")) found.push(m[1]);
  }
  return found;
}

/** "/src/a/b.ts" + "../c" → "/src/c" (no extension added). */
function join(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  return parts.join("/");
}

/** A specifier's module among `modules`; null when there is none. */
function resolve(from: string, spec: string, modules: Set<string>): string | null {
  const base = join(from, spec);
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (candidate.endsWith(".ts") && modules.has(candidate)) return candidate;
  return null;
}

/** A stylesheet or other asset ("./style.css"): a file, but no module of the graph. */
const isAsset = (spec: string) => /\.(css|svg|png|json)$/.test(spec);

interface Graph {
  edges: Map<string, string[]>;
  /** Relative imports of no file: a module the check would not see, or a missing asset. */
  unresolved: string[];
}

/** The import graph of a set of sources keyed by path; `assets`: the other files there are. */
function importGraph(sources: Record<string, string>, assets: string[] = []): Graph {
  const files = new Set(Object.keys(sources));
  const others = new Set(assets);
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const [path, source] of Object.entries(sources)) {
    const targets: string[] = [];
    for (const spec of relativeImports(source)) {
      if (isAsset(spec)) {
        if (!others.has(join(path, spec))) unresolved.push(`${path}: ${spec}`);
        continue;
      }
      const target = resolve(path, spec, files);
      if (target) targets.push(target);
      else unresolved.push(`${path}: ${spec}`);
    }
    edges.set(path, [...new Set(targets)].sort());
  }
  return { edges, unresolved };
}

/** A cycle as the path that closes it ([a, b, a]), or null when the graph has none. */
function findCycle(edges: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

describe("the cycle check itself", () => {
  it("reads every kind of relative import, and only relative ones", () => {
    const source = [
      'import L from "./leaflet";',
      'import "./cluster";',
      "import {",
      "  ApiError,",
      "  type City,",
      '} from "../shared/api";',
      'import type { View } from "./app";',
      'export { st } from "./i18n";',
      'import { describe } from "vitest";',
      'const later = () => import("./admin/view");',
      'import "./style.css";',
    ].join("\n");
    expect(relativeImports(source).sort()).toEqual(["../shared/api", "./admin/view", "./app", "./cluster", "./i18n", "./leaflet", "./style.css"]);
  });

  it("finds a cycle, a long one and a self-import, and none where there is none", () => {
    expect(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]))).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(new Map([["a", ["a"]]]))).toEqual(["a", "a"]);
    expect(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]))).toBeNull();
  });

  it("fails on two modules that import each other (home ↔ flow, as it was)", () => {
    const { edges, unresolved } = importGraph(
      {
        "/src/citizen/home.ts": 'import { flowView } from "./flow";\nimport { h } from "../shared/dom";',
        "/src/citizen/flow.ts": 'import type { View } from "./app";\nimport { homeView } from "./home";',
        "/src/citizen/app.ts": 'import { h } from "../shared/dom";',
        "/src/shared/dom.ts": "export const h = 1;",
        "/src/shared/main.ts": 'import "./style.css";\nimport "./gone.css";\nimport { x } from "./gone";',
      },
      ["/src/shared/style.css"],
    );
    expect(unresolved.sort()).toEqual(["/src/shared/main.ts: ./gone", "/src/shared/main.ts: ./gone.css"]);
    expect(findCycle(edges)).toEqual(["/src/citizen/flow.ts", "/src/citizen/home.ts", "/src/citizen/flow.ts"]);
  });
});

describe("src", () => {
  const { edges, unresolved } = importGraph(SOURCES, ALL_FILES);

  it("is read whole", () => {
    expect(edges.size).toBeGreaterThan(40);
    for (const entry of ["/src/citizen/main.ts", "/src/staff/main.ts", "/src/shared/api.ts"]) expect(edges.has(entry), entry).toBe(true);
    expect(edges.get("/src/citizen/main.ts")).toContain("/src/citizen/app.ts");
    expect(unresolved).toEqual([]);
  });

  it("has no import cycle", () => {
    const cycle = findCycle(edges);
    expect(cycle, cycle ? `import cycle: ${cycle.join(" → ")}` : "").toBeNull();
  });
});
