// Small inline-SVG charts (bar and line) with a text alternative and a data table beside each.
// No library: the machine may have no internet, and the charts only need to be honest and readable.

import { el } from "./app.js";
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

function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * exp >= value * (1 - 1e-12)) return m * exp;
  return 10 * exp;
}

/**
 * Render a chart with its data table into host (replacing its content).
 * spec: {id, title, kind: "bar"|"line", categories: [label], series: [{name, values: [number]}],
 *        format: (v) => string, axisFormat?: (v) => string, xLabel, yLabel}
 */
export function chart(host, spec) {
  const { id, title, kind = "bar", categories, series, format, xLabel = "", yLabel = "" } = spec;
  const axisFormat = spec.axisFormat || format;
  const width = 560;
  const longest = Math.max(1, ...categories.map((c) => String(c).length));
  // Long category names are turned 35° so that they do not run into each other.
  const rotate = longest * 6.2 > (width - 100) / Math.max(categories.length, 1);
  const extra = rotate ? Math.min(longest * 4.2, 110) : 0;
  const height = 280 + extra;
  const pad = { top: 16, right: 16, bottom: 48 + extra, left: 84 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const maxV = niceMax(Math.max(0, ...all));
  const minV = -niceMax(-Math.min(0, ...all)) * (Math.min(0, ...all) < 0 ? 1 : 0);
  const span = maxV - minV || 1;
  const y = (v) => pad.top + plotH - ((v - minV) / span) * plotH;
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

  // Axes and grid lines with labels.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = minV + (span * i) / ticks;
    const yy = y(v);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: yy, y2: yy, class: "grid" }));
    root.append(svg("text", { x: pad.left - 6, y: yy + 4, "text-anchor": "end", class: "tick" }, axisFormat(v)));
  }
  root.append(svg("line", { x1: pad.left, x2: pad.left, y1: pad.top, y2: pad.top + plotH, class: "axis" }));
  root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: "axis" }));
  const labelEvery = Math.ceil(n / 12);
  categories.forEach((c, i) => {
    if (i % labelEvery !== 0) return;
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
