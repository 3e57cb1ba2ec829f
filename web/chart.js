// Charts for the staff report, drawn by Apache ECharts (vendored from npm at set-up through
// web/vendor.json, never from a CDN). The library (~700 KB) is loaded only when a chart is
// first drawn, so no other page downloads it. Each chart is an SVG inside a container with
// role="img" and an aria-label that says its numbers in words; the page shows the same
// numbers in a table beside it.
const ECHARTS_URL = new URL("./vendor/echarts.common.min.js", import.meta.url).href;
let loading = null;

/** window.echarts, loading the vendored script on first use. */
export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = ECHARTS_URL;
      script.async = true;
      script.onload = () => (window.echarts ? resolve(window.echarts) : reject(new Error("图表组件加载失败")));
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error("图表组件加载失败，请刷新重试"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

const COLORS = ["#8a1c1c", "#0b5cad", "#1f7a3a", "#9a5b00", "#5b6474"];
const FONT = 'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
const charts = new Set();
let resizing = false;

function watchResize() {
  if (resizing) return;
  resizing = true;
  window.addEventListener("resize", () => {
    for (const c of charts) {
      if (c.getDom().isConnected) c.resize();
      else {
        c.dispose();
        charts.delete(c);
      }
    }
  });
}

/** Draw `option` into `el` (SVG renderer) and label it for screen readers. */
async function draw(el, option, label) {
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  const echarts = await loadECharts();
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    color: COLORS, animation: false, textStyle: { fontFamily: FONT },
    aria: { enabled: false }, // our own label on the container says it in full sentences
    tooltip: { trigger: "axis", confine: true },
    ...option,
  });
  // the SVG itself is decoration for assistive technology: the container speaks
  el.querySelector("svg")?.setAttribute("aria-hidden", "true");
  charts.add(chart);
  watchResize();
  return chart;
}

/** The funnel registered → … → certificate, as horizontal bars (first step on top). */
export function funnelChart(el, steps) {
  const label = `报名到证书漏斗：${steps.map((s) => `${s.label} ${s.count}`).join("，")}`;
  const rev = [...steps].reverse();
  return draw(el, {
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: rev.map((s) => s.label), axisTick: { show: false } },
    series: [{ type: "bar", name: "人数", data: rev.map((s) => s.count), barMaxWidth: 28,
      label: { show: true, position: "right" } }],
  }, label);
}

/** Registrations per Beijing day. points: [{label, value}] */
export function lineChart(el, points, { title = "每日报名数" } = {}) {
  const label = points.length
    ? `${title}：${points.map((p) => `${p.label} ${p.value}`).join("，")}`
    : `${title}：暂无数据`;
  return draw(el, {
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: points.map((p) => p.label), boundaryGap: false },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "line", name: "报名数", data: points.map((p) => p.value), symbolSize: 8,
      label: { show: points.length <= 14, position: "top" } }],
  }, label);
}

/** Grouped bars: categories × series, values in 元. series: [{name, values}] */
export function barChart(el, categories, series, { title, unit = "元" } = {}) {
  const label = `${title}：${categories.map((c, i) => `${c} ${series.map((s) => `${s.name} ${s.values[i]} ${unit}`).join("、")}`).join("；")}`;
  return draw(el, {
    legend: { top: 0, itemGap: 12 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: categories },
    yAxis: { type: "value", name: unit },
    series: series.map((s) => ({ type: "bar", name: s.name, data: s.values, barMaxWidth: 32 })),
  }, label);
}
