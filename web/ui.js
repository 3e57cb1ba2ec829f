// Small DOM and formatting helpers shared by every page. No framework.
import { STATE_LABELS, STATES } from "./states.js";

/** Build an element: h("button", {class: "btn", onclick}, "文字", child...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
/** A labelled form field. kind: input type, "select" (options [[value,label]]) or "textarea". */
export function field(label, name, { kind = "text", value, required, options, hint, attrs = {} } = {}) {
  const id = `f-${name}-${++uid}`;
  const hintId = hint ? `${id}-hint` : undefined;
  let control;
  if (kind === "select") {
    control = h("select", { id, name, required, "aria-describedby": hintId, ...attrs },
      (options || []).map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
  } else if (kind === "textarea") {
    control = h("textarea", { id, name, required, rows: 3, "aria-describedby": hintId, ...attrs });
    if (value) control.value = value;
  } else {
    control = h("input", { id, name, type: kind, required, "aria-describedby": hintId, ...attrs });
    if (value !== undefined && value !== null) control.value = value;
  }
  return h("div", { class: "field" },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
}

/** The form's named values, trimmed; empty strings dropped. Checkboxes give booleans. */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else if (el.value.trim() !== "") out[el.name] = el.value.trim();
  }
  return out;
}

// --- checking a form in the page ------------------------------------------------------
// Messages name each field by its label, which uses the same Chinese names as the server's
// messages (chalicelib/platform/schemas.py FIELD_LABELS: 单位名称, 职务, 地区, 手机号, 邮箱…).
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_RE = /^[0-9+\- ()]{5,20}$/;

/** A control's label text without the required mark: "单位名称". */
export function labelOf(el) {
  const holder = el.type === "radio" ? el.closest("fieldset")?.querySelector("legend") : el.labels && el.labels[0];
  if (!holder) return el.getAttribute("aria-label") || el.name;
  const copy = holder.cloneNode(true);
  copy.querySelectorAll(".req, input").forEach((x) => x.remove());
  return copy.textContent.trim();
}

/** What is wrong with one control's value (a Chinese sentence naming the field), or null. */
export function problemOf(el) {
  const label = labelOf(el);
  if (el.type === "radio") {
    const form = el.form || document;
    return el.required && !form.querySelector(`[name="${CSS.escape(el.name)}"]:checked`) ? `请选择${label}` : null;
  }
  if (el.type === "checkbox") return el.required && !el.checked ? `请勾选${label}` : null;
  const value = (el.value || "").trim();
  if (!value) return el.required ? `${el.tagName === "SELECT" ? "请选择" : "请填写"}${label}` : null;
  if (el.maxLength > 0 && value.length > el.maxLength) return `${label}不能超过 ${el.maxLength} 个字`;
  if (el.minLength > 0 && value.length < el.minLength) return `${label}至少 ${el.minLength} 个字`;
  if (el.type === "email" && !EMAIL_RE.test(value)) return `${label}格式不正确，例如 name@example.com`;
  if (el.type === "tel" && !PHONE_RE.test(value)) return `${label}只能由数字、空格及 +、-、括号组成（5 至 20 位）`;
  if (el.pattern && !new RegExp(`^(?:${el.pattern})$`).test(value)) return el.dataset.patternMessage || `${label}格式不正确`;
  return null;
}

/** Check a form before it is sent: every problem listed in `box` (role="alert"), each
 * invalid control marked aria-invalid, the first focused. True when the form may be sent. */
export function validateForm(form, box) {
  const problems = [];
  const seen = new Set();
  for (const el of form.elements) {
    if (!el.name || el.disabled || ["hidden", "submit", "button", "file"].includes(el.type) || el.tagName === "BUTTON") continue;
    if (el.type === "radio") {
      if (seen.has(el.name)) continue;
      seen.add(el.name);
    }
    el.removeAttribute("aria-invalid");
    const message = problemOf(el);
    if (message) {
      el.setAttribute("aria-invalid", "true");
      problems.push({ el, message });
    }
  }
  if (box) clear(box);
  if (!problems.length) return true;
  if (box) {
    box.append(h("div", { class: "alert alert-error", role: "alert" },
      problems.length === 1 ? problems[0].message
        : [h("strong", {}, "请先修改以下内容："), h("ul", {}, problems.map((x) => h("li", {}, x.message)))]));
  }
  problems[0].el.focus();
  return false;
}

// --- messages --------------------------------------------------------------------------
/** Show a message in the page's live region (read out by screen readers). */
export function flash(message, kind = "error") {
  const box = document.getElementById("flash");
  if (!box) return;
  clear(box);
  if (!message) return;
  box.dataset.at = String(Date.now());
  box.append(h("div", { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status" }, message));
  if (kind === "error") box.scrollIntoView({ block: "nearest" });
}

/** Clear the message unless it was just shown (a success message followed by a redirect). */
export function flashExpire() {
  const box = document.getElementById("flash");
  if (box && Date.now() - Number(box.dataset.at || 0) > 1500) clear(box);
}

/** Run an async action from a button: disabled + busy while it runs, API errors shown. */
export async function busy(button, action, { errorBox } = {}) {
  const label = button ? button.textContent : "";
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = `${label}…`;
  }
  try {
    return await action();
  } catch (err) {
    showError(err, errorBox);
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }
}

/** The API's Chinese message (ApiError) or a generic one; focus the named field if any. */
export function showError(err, box) {
  const message = (err && err.message) || "操作失败，请稍后重试";
  if (box) {
    clear(box);
    box.append(h("div", { class: "alert alert-error", role: "alert" }, message));
  } else {
    flash(message, "error");
  }
  if (err && err.field) {
    const name = String(err.field).split(".").pop();
    const input = document.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }
  if (!(err && err.status)) console.warn(err); // a bug, not an API answer: keep it visible
}

// --- formatting ------------------------------------------------------------------------
export function yuan(fen) {
  if (fen === null || fen === undefined) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

const TIME_FMT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});
const DATE_FMT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
});

/** An ISO instant shown in Beijing time: 2026-04-13 00:00. */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(TIME_FMT.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour === "24" ? "00" : p.hour}:${p.minute}`;
}

export function day(iso) {
  if (!iso) return "—";
  const p = Object.fromEntries(DATE_FMT.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

// --- dates as the notice writes them (inclusive) --------------------------------------
// The API's windows end at an exclusive bound: registration "closes" 2026-04-11T00:00+08:00,
// which the notice calls 4月10日. Every end date on a page goes through these helpers, so a
// reader never sees the day after the last day.
const PARTS_FMT = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "numeric", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

/** Beijing-time parts of an instant: {y, mo, d, hh, mm, ss} (numbers). */
export function beijing(iso) {
  const t = typeof iso === "number" ? iso : new Date(iso).getTime();
  const p = Object.fromEntries(PARTS_FMT.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { y: +p.year, mo: +p.month, d: +p.day, hh: +p.hour, mm: +p.minute, ss: +p.second };
}

function valid(iso) {
  return iso !== null && iso !== undefined && iso !== "" && !Number.isNaN(new Date(iso).getTime());
}

const pad2 = (n) => String(n).padStart(2, "0");
const dayWords = (p, year) => `${year ? `${p.y}年` : ""}${p.mo}月${p.d}日`;

/** The last moment an exclusive bound still allows, as the notice says it: a bound at
 * 00:00:00 is the previous day at 24:00; any other bound is its own day and time. */
function endParts(iso) {
  const p = beijing(iso);
  if (p.hh === 0 && p.mm === 0 && p.ss === 0) return { ...beijing(new Date(iso).getTime() - 1), time: "24:00", midnight: true };
  return { ...p, time: `${pad2(p.hh)}:${pad2(p.mm)}`, midnight: false };
}

/** A start day: "2026年4月3日" (year: false → "4月3日"); a start that is not midnight keeps
 * its time: "2026年4月3日 10:00". */
export function dayText(iso, { year = true, time = "auto" } = {}) {
  if (!valid(iso)) return "—";
  const p = beijing(iso);
  const showTime = time === true || (time === "auto" && (p.hh || p.mm));
  return `${dayWords(p, year)}${showTime ? ` ${pad2(p.hh)}:${pad2(p.mm)}` : ""}`;
}

/** The last day an exclusive bound allows: 2026-04-11T00:00+08:00 → "4月10日". */
export function untilDay(iso, { year = false } = {}) {
  if (!valid(iso)) return "—";
  return dayWords(endParts(iso), year);
}

/** The end of a window as a moment: 2026-04-11T00:00+08:00 → "2026年4月10日 24:00". */
export function endText(iso, { year = true } = {}) {
  if (!valid(iso)) return "—";
  const p = endParts(iso);
  return `${dayWords(p, year)} ${p.time}`;
}

/** "至 2026年4月10日 24:00" (year: false → "至 4月10日 24:00"). */
export function untilText(iso, { year = true } = {}) {
  if (!valid(iso)) return "—";
  return `至 ${endText(iso, { year })}`;
}

/** A window as the notice writes it: "2026年4月3日至4月10日" (start day … last day; the
 * year once unless the window crosses a year; times only when not at midnight). */
export function rangeText(opens, closes, { year = true } = {}) {
  if (!valid(closes)) return "—";
  if (!valid(opens)) return untilText(closes, { year });
  const a = beijing(opens);
  const e = endParts(closes);
  const startTime = a.hh || a.mm ? ` ${pad2(a.hh)}:${pad2(a.mm)}` : "";
  const endTime = e.midnight ? "" : ` ${e.time}`;
  return `${dayWords(a, year)}${startTime}至${dayWords(e, year && e.y !== a.y)}${endTime}`;
}

/** "3 天 4 小时" / "5 小时 2 分" / "12 分 5 秒" from a number of milliseconds. */
export function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} 天 ${hh} 小时`;
  if (hh > 0) return `${hh} 小时 ${mm} 分`;
  return `${mm} 分 ${s % 60} 秒`;
}

// The application clock (the dev clock may be far from this computer's clock): pages
// learn the server's "now" and keep the offset.
let clockOffsetMs = 0;
export function syncClock(serverNowIso) {
  if (serverNowIso) clockOffsetMs = new Date(serverNowIso).getTime() - Date.now();
}
export function appNow() {
  return Date.now() + clockOffsetMs;
}

/** Labels of the API's states, generated from the server's state tables (states.js). */
export const STATUS_LABELS = STATE_LABELS;
export const CHANNEL_LABELS = { alipay: "支付宝", wechatpay: "微信支付", bank_transfer: "银行转账", group: "集体交费" };

/** A state as a coloured label; `machine` ("order.status", ...) picks that table's label. */
export function badge(state, machine) {
  const label = (machine && STATES[machine] && STATES[machine][state]) || STATUS_LABELS[state] || state;
  return h("span", { class: `badge badge-${state}` }, label);
}

/** A progress bar with its text, accessible. */
export function progress(value, max, label) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return h("div", { class: "progress-wrap" },
    h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
      "aria-valuenow": pct, "aria-label": label || "进度" },
    h("div", { class: "progress-bar", style: `width:${pct}%` })),
    h("span", { class: "progress-text" }, `${pct}%`));
}

/** Copy text to the clipboard; falls back to a selected textarea. Returns success. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { "aria-hidden": "true", style: "position:fixed;top:-1000px" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function card(title, ...children) {
  return h("section", { class: "card", "aria-label": title }, h("h2", {}, title), ...children);
}

/** A table; on a narrow screen (< 600 px) each row reflows into a card whose cells carry
 * their column's name (data-label). `reflow: false` keeps the sideways-scrolling table. */
export function table(headers, rows, caption, { reflow = true } = {}) {
  const names = headers.map((x) => (x instanceof Node ? x.textContent : String(x ?? "")));
  // Explicit roles: a table laid out as blocks (the cards) keeps its table semantics
  const role = (r) => (reflow ? r : null);
  return h("div", { class: "table-wrap" },
    h("table", { class: reflow ? "reflow" : null, role: role("table") },
      caption ? h("caption", {}, caption) : null,
      h("thead", { role: role("rowgroup") }, h("tr", { role: role("row") }, headers.map((x) => h("th", { scope: "col", role: role("columnheader") }, x)))),
      h("tbody", { role: role("rowgroup") }, rows.length
        ? rows.map((r) => h("tr", { role: role("row") }, r.map((c, i) => h("td", { role: role("cell"), "data-label": names[i] || null }, c))))
        : h("tr", { class: "empty", role: role("row") }, h("td", { colspan: headers.length, class: "muted", role: role("cell") }, "暂无")))));
}

// --- WeChat's in-app browser ----------------------------------------------------------
/** True inside WeChat's built-in browser (its user agent says MicroMessenger), which does
 * not download files: a PDF link opens nothing or an unreadable preview. */
export function inWeChat(ua = navigator.userAgent) {
  return /MicroMessenger/i.test(ua || "");
}

/** Put next to every PDF download (invoice, certificate, receipt): inside WeChat, a note
 * telling the reader to open the page in a real browser; elsewhere nothing (null). */
export function downloadHint() {
  if (!inWeChat()) return null;
  return h("p", { class: "alert alert-info wechat-hint", role: "note" },
    h("strong", {}, "微信内不能下载文件。"),
    " 请点右上角「…」，选择「在浏览器打开」（或复制链接到手机浏览器）后再下载 PDF。");
}

/** Open a short-lived file link (invoice, certificate) in a new tab. Inside WeChat the link
 * is still tried, and the page says how to download it in a real browser. */
export function openLink(url) {
  document.body.dataset.lastLink = url; // what was opened (read by the browser tests)
  if (inWeChat()) flash("微信内不能下载文件：请点右上角「…」选择「在浏览器打开」后再下载。", "info");
  const a = h("a", { href: url, target: "_blank", rel: "noopener" });
  document.body.append(a);
  a.click();
  a.remove();
}
