// A small SVG chart helper for the admin report: horizontal funnel bars, a line of counts
// per day, vertical bars. No library; each chart is an <svg role="img"> with a title and a
// text summary for screen readers.
const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#8a1c1c", "#b5462f", "#c9733f", "#1f7a3a", "#0b5cad", "#5b3f9a"];

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(width, height, title, summary) {
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}：${summary}`, preserveAspectRatio: "xMidYMid meet" });
  svg.append(el("title", {}, title));
  return svg;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= value) return m * p;
  return 10 * p;
}

const fmt = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Funnel: [{label, count}] as shrinking horizontal bars with the share of the first step. */
export function funnelChart(rows, { title = "报名到证书漏斗" } = {}) {
  const width = 640;
  const rowH = 44;
  const labelW = 130;
  const height = rows.length * rowH + 10;
  const top = Math.max(1, rows[0] ? rows[0].count : 1);
  const svg = frame(width, height, title, rows.map((r) => `${r.label} ${r.count}`).join("，"));
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    const w = Math.max(2, ((width - labelW - 90) * r.count) / top);
    svg.append(el("text", { x: labelW - 8, y: y + rowH / 2 + 5, "text-anchor": "end", "font-size": 15, fill: "#1d2330" }, r.label));
    svg.append(el("rect", { x: labelW, y: y + 6, width: w, height: rowH - 12, rx: 4, fill: COLORS[i % COLORS.length] }));
    const pct = rows[0] && rows[0].count ? ` (${Math.round((100 * r.count) / rows[0].count)}%)` : "";
    svg.append(el("text", { x: labelW + w + 8, y: y + rowH / 2 + 5, "font-size": 15, fill: "#1d2330" }, `${r.count}${pct}`));
  });
  return svg;
}

function axes(svg, { x0, y0, x1, y1, max, ticks = 4, unit = "" }) {
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const y = y0 - ((y0 - y1) * i) / ticks;
    svg.append(el("line", { x1: x0, y1: y, x2: x1, y2: y, stroke: "#d9dde4", "stroke-width": 1 }));
    svg.append(el("text", { x: x0 - 6, y: y + 4, "text-anchor": "end", "font-size": 12, fill: "#5b6474" }, `${fmt(v)}${i === ticks ? unit : ""}`));
  }
}

/** Points [{label, value}] joined by a line, with dots and every few labels on the axis. */
export function lineChart(points, { title = "", unit = "" } = {}) {
  const width = 640;
  const height = 260;
  const [x0, y0, x1, y1] = [56, height - 34, width - 16, 16];
  const max = Math.max(4, niceMax(Math.max(0, ...points.map((p) => p.value)))); // whole-number ticks
  const svg = frame(width, height, title, points.length ? points.map((p) => `${p.label} ${p.value}`).join("，") : "暂无数据");
  axes(svg, { x0, y0, x1, y1, max, unit });
  if (!points.length) {
    svg.append(el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", "font-size": 15, fill: "#5b6474" }, "暂无数据"));
    return svg;
  }
  const step = points.length > 1 ? (x1 - x0) / (points.length - 1) : 0;
  const xy = points.map((p, i) => [points.length > 1 ? x0 + i * step : (x0 + x1) / 2, y0 - ((y0 - y1) * p.value) / max]);
  svg.append(el("polyline", { points: xy.map(([x, y]) => `${x},${y}`).join(" "), fill: "none", stroke: COLORS[0], "stroke-width": 2.5 }));
  const every = Math.max(1, Math.ceil(points.length / 8));
  xy.forEach(([x, y], i) => {
    svg.append(el("circle", { cx: x, cy: y, r: 3.5, fill: COLORS[0] }));
    if (i % every === 0 || i === points.length - 1) {
      svg.append(el("text", { x, y: y0 + 18, "text-anchor": "middle", "font-size": 12, fill: "#5b6474" }, points[i].label));
    }
  });
  return svg;
}

/** Vertical bars [{label, value}] with their values on top. */
export function barChart(points, { title = "", unit = "" } = {}) {
  const width = 640;
  const height = 260;
  const [x0, y0, x1, y1] = [64, height - 34, width - 16, 24];
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const svg = frame(width, height, title, points.map((p) => `${p.label} ${fmt(p.value)}${unit}`).join("，"));
  axes(svg, { x0, y0, x1, y1, max, unit });
  const slot = (x1 - x0) / Math.max(1, points.length);
  points.forEach((p, i) => {
    const hgt = ((y0 - y1) * p.value) / max;
    const x = x0 + i * slot + slot * 0.2;
    svg.append(el("rect", { x, y: y0 - hgt, width: slot * 0.6, height: Math.max(0, hgt), rx: 3, fill: COLORS[(i + 3) % COLORS.length] }));
    svg.append(el("text", { x: x + slot * 0.3, y: y0 - hgt - 6, "text-anchor": "middle", "font-size": 13, fill: "#1d2330" }, fmt(p.value)));
    svg.append(el("text", { x: x + slot * 0.3, y: y0 + 18, "text-anchor": "middle", "font-size": 13, fill: "#1d2330" }, p.label));
  });
  return svg;
}
