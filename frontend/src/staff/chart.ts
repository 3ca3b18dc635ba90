/** Small SVG charts drawn by hand (no chart library), each with a text table beside it. */
import { h } from "../shared/dom";

const NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** A "nice" upper bound for an axis with 4 steps: each step 1, 2 or 5 × 10^n, whole numbers. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 4;
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(4, Math.ceil(m * p) * 4);
  return Math.ceil(10 * p) * 4;
}

export interface Series {
  label: string;
  cls: string;
  values: number[];
}

const W = 640;
const H = 220;
const PAD = { l: 36, r: 8, t: 10, b: 28 };

function frame(title: string, max: number, unit = ""): SVGSVGElement {
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title, preserveAspectRatio: "xMidYMid meet" });
  s.append(svg("title", {}, title));
  const ih = H - PAD.t - PAD.b;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.t + ih - (ih * i) / 4;
    s.append(svg("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: "chart-grid" }));
    s.append(svg("text", { x: PAD.l - 4, y: y + 4, class: "chart-axis", "text-anchor": "end" }, `${Math.round((max * i) / 4)}${unit}`));
  }
  return s;
}

function xLabels(s: SVGSVGElement, labels: string[], step: number, x: (i: number) => number): void {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((l, i) => {
    if (i % every === 0) s.append(svg("text", { x: x(i) + step / 2, y: H - 8, class: "chart-axis", "text-anchor": "middle" }, l));
  });
}

/** Grouped bars per label (e.g. created vs resolved per day). */
export function barChart(title: string, labels: string[], series: Series[]): SVGSVGElement {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const s = frame(title, max);
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const step = labels.length ? iw / labels.length : iw;
  const bw = Math.max(1, (step * 0.8) / Math.max(1, series.length));
  labels.forEach((label, i) => {
    series.forEach((se, j) => {
      const v = se.values[i] ?? 0;
      const bh = (ih * v) / max;
      const rect = svg("rect", { x: PAD.l + i * step + step * 0.1 + j * bw, y: PAD.t + ih - bh, width: bw, height: bh, class: se.cls });
      rect.append(svg("title", {}, `${label}: ${se.label} ${v}`));
      s.append(rect);
    });
  });
  xLabels(s, labels, step, (i) => PAD.l + i * step);
  legend(s, series);
  return s;
}

/** A line of percentages (0–100) per label; gaps where a value is null. */
export function lineChart(title: string, labels: string[], values: (number | null)[], label: string, cls = "line-a"): SVGSVGElement {
  const s = frame(title, 100, "%");
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const step = labels.length ? iw / labels.length : iw;
  const pts: string[] = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    const x = PAD.l + i * step + step / 2;
    const y = PAD.t + ih - (ih * v) / 100;
    pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    const dot = svg("circle", { cx: x, cy: y, r: 4, class: cls });
    dot.append(svg("title", {}, `${labels[i]}: ${v} %`));
    s.append(dot);
  });
  if (pts.length > 1) s.insertBefore(svg("polyline", { points: pts.join(" "), class: `${cls} chart-line`, fill: "none" }), s.querySelector("circle"));
  xLabels(s, labels, step, (i) => PAD.l + i * step);
  legend(s, [{ label, cls, values: [] }]);
  return s;
}

function legend(s: SVGSVGElement, series: Series[]): void {
  series.forEach((se, j) => {
    const x = W - PAD.r - 130 * (series.length - j);
    s.append(svg("rect", { x, y: PAD.t, width: 12, height: 12, class: se.cls }));
    s.append(svg("text", { x: x + 16, y: PAD.t + 11, class: "chart-axis" }, se.label));
  });
}

/** The same figures as a table (the accessible alternative to a chart). */
export function dataTable(caption: string, head: string[], rows: (string | number)[][]): HTMLTableElement {
  return h(
    "table",
    { class: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, String(c)) : h("td", {}, String(c))))))),
  );
}
