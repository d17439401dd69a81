// Small inline-SVG charts (bar and line) with a text alternative and a data table beside each.
// Round axis ticks come from d3-scale (vendored in vendor/, loaded by the page before this module; no CDN: the
// machine may have no internet). The SVG itself is drawn here.

import { el, num } from "./app.js";
import { t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
// Series colours: each has contrast ≥ 3:1 against white (WCAG 1.4.11 for graphics).
export const COLOURS = ["#0b4f8a", "#b3361b", "#2d6a2f", "#6b3fa0"];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function d3lib() {
  const d3 = globalThis.d3;
  if (!d3 || !d3.scaleLinear) throw new Error("d3-scale is not loaded: the page must load vendor/d3-scale.min.js");
  return d3;
}

/**
 * The value axis: a linear scale over [min(0, data), max(0, data)] widened to round ("nice") ends, its ticks
 * (about five, round numbers; whole numbers only for counts) and the number of decimals those ticks need once
 * divided by ``divisor`` (0,5 → 1; 0,25 → 2; 2 000 000 / 1e6 → 0).
 */
export function valueAxis(values, { top, bottom, divisor = 1, integer = false } = {}) {
  const d3 = d3lib();
  const finite = values.filter((v) => Number.isFinite(v));
  const lo = Math.min(0, ...finite);
  let hi = Math.max(0, ...finite);
  if (hi === lo) hi = lo + (integer ? 1 : 1);
  const scale = d3.scaleLinear().domain([lo, hi]).range([bottom, top]).nice(5);
  let ticks = scale.ticks(5);
  if (integer) {
    ticks = ticks.filter((v) => Number.isInteger(v));
    if (ticks.length < 2) ticks = [0, Math.ceil(hi)];
    scale.domain([Math.min(scale.domain()[0], ticks[0]), Math.max(scale.domain()[1], ticks[ticks.length - 1])]);
  }
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const decimals = Math.max(0, d3.precisionFixed(step / divisor));
  return { scale, ticks, step, decimals };
}

/** Which category labels to show on the x axis: all when few; for years 1…n round ones (2, 4, … or 5, 10, …). */
function labelledCategories(categories) {
  const n = categories.length;
  if (n <= 12) return new Set(categories.map((_, i) => i));
  const numbers = categories.map((c) => Number(c));
  if (numbers.every((v, i) => Number.isInteger(v) && (i === 0 || v === numbers[i - 1] + 1))) {
    const wanted = new Set(d3lib().ticks(numbers[0], numbers[n - 1], 8));
    return new Set(numbers.map((v, i) => (wanted.has(v) || i === 0 ? i : -1)).filter((i) => i >= 0));
  }
  const every = Math.ceil(n / 12);
  return new Set(categories.map((_, i) => i).filter((i) => i % every === 0));
}

/**
 * Render a chart with its data table into host (replacing its content).
 * spec: {id, title, kind: "bar"|"line", categories: [label], series: [{name, values: [number]}],
 *        format: (v) => string (values in the table and tooltips),
 *        divisor?: ticks are shown as v / divisor (1e6 with yLabel "mill. kr"); integer?: whole-number ticks,
 *        axisFormat?: (v, decimals) => string, xLabel, yLabel (the unit of the ticks, said once)}
 */
export function chart(host, spec) {
  const { id, title, kind = "bar", categories, series, format, xLabel = "", yLabel = "" } = spec;
  const divisor = spec.divisor || 1;
  const width = 560;
  const longest = Math.max(1, ...categories.map((c) => String(c).length));
  // Long category names are turned 35° so that they do not run into each other.
  const rotate = longest * 6.2 > (width - 100) / Math.max(categories.length, 1);
  const extra = rotate ? Math.min(longest * 4.2, 110) : 0;
  const height = 280 + extra;
  const pad = { top: 16, right: 16, bottom: 48 + extra, left: 72 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const axis = valueAxis(all, { top: pad.top, bottom: pad.top + plotH, divisor, integer: spec.integer });
  const axisFormat = spec.axisFormat || ((v, decimals) => num(v / divisor, decimals));
  const y = (v) => axis.scale(v);
  const n = categories.length || 1;
  const band = plotW / n;

  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": `${titleId} ${descId}`,
    class: "chart-svg",
    focusable: "false",
  });
  root.append(svg("title", { id: titleId }, title));
  root.append(svg("desc", { id: descId }, t("chart.summary", { title })));

  // Axes and grid lines at round values, labelled with the decimals the step needs (the unit is in yLabel).
  for (const v of axis.ticks) {
    const yy = y(v);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: yy, y2: yy, class: "grid" }));
    root.append(svg("text", { x: pad.left - 6, y: yy + 4, "text-anchor": "end", class: "tick", "data-tick": v },
      axisFormat(v, axis.decimals)));
  }
  root.append(svg("line", { x1: pad.left, x2: pad.left, y1: pad.top, y2: pad.top + plotH, class: "axis" }));
  root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: "axis" }));
  const labelled = labelledCategories(categories);
  categories.forEach((c, i) => {
    if (!labelled.has(i)) return;
    const x = pad.left + band * (i + 0.5);
    const yy = pad.top + plotH + 16;
    root.append(svg("text", rotate
      ? { x, y: yy, "text-anchor": "end", transform: `rotate(-35 ${x} ${yy})`, class: "tick" }
      : { x, y: yy, "text-anchor": "middle", class: "tick" }, c));
  });
  if (xLabel) root.append(svg("text", { x: pad.left + plotW / 2, y: height - 8, "text-anchor": "middle",
    class: "axis-label" }, xLabel));
  if (yLabel) root.append(svg("text", { x: 12, y: pad.top + plotH / 2, "text-anchor": "middle",
    transform: `rotate(-90 12 ${pad.top + plotH / 2})`, class: "axis-label" }, yLabel));

  series.forEach((s, si) => {
    const colour = s.colour || COLOURS[si % COLOURS.length];
    if (kind === "bar") {
      const inner = band * 0.8;
      const bw = inner / series.length;
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        const x = pad.left + band * i + band * 0.1 + bw * si;
        const top = y(Math.max(v, 0));
        const h = Math.max(Math.abs(y(v) - y(0)), v === 0 ? 0 : 1);
        const rect = svg("rect", { x, y: top, width: Math.max(bw - 1, 1), height: h, fill: colour });
        rect.append(svg("title", {}, `${s.name}, ${categories[i]}: ${format(v)}`));
        root.append(rect);
      });
    } else {
      const points = s.values.map((v, i) => (Number.isFinite(v) ? `${pad.left + band * (i + 0.5)},${y(v)}` : null))
        .filter(Boolean);
      root.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: colour, "stroke-width": 2.5 }));
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        const dot = svg("circle", { cx: pad.left + band * (i + 0.5), cy: y(v), r: 3.5, fill: colour });
        dot.append(svg("title", {}, `${s.name}, ${categories[i]}: ${format(v)}`));
        root.append(dot);
      });
    }
  });

  const legend = series.length > 1
    ? el("ul", { class: "legend" }, series.map((s, si) => {
      const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = s.colour || COLOURS[si % COLOURS.length];
      return el("li", {}, swatch, s.name);
    }))
    : null;

  const table = el("table", { class: "data-table", id: `${id}-table` },
    el("caption", {}, title),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, xLabel || ""),
      series.map((s) => el("th", { scope: "col" }, s.name)))),
    el("tbody", {}, categories.map((c, i) => el("tr", {}, el("th", { scope: "row" }, c),
      series.map((s) => el("td", { "data-value": s.values[i] }, format(s.values[i])))))));

  const figureEl = el("figure", { class: "chart", id },
    el("figcaption", {}, title),
    el("div", { class: "chart-body" },
      el("div", { class: "chart-plot" }, root, legend),
      el("div", { class: "chart-table" }, table)));
  host.replaceChildren(figureEl);
  return figureEl;
}
