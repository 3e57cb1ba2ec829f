// Invoices for trainees and units: the e-invoice (数电票) of one order — its request form,
// its progress at the tax platform (requested → issuing → issued | failed) and the download
// of the provider's document — and, separately, the order's payment receipt (交费凭证).
import { get, post } from "./api.js";
import { go } from "./app.js";
import { STATES } from "./states.js";
import { busy, downloadHint, endText, field, flash, formValues, h, openLink, validateForm, when, yuan } from "./ui.js";

const POLL_MS = 3000; // the server looks at the provider at most every 3 s
const POLL_MAX = 60; // then the page stops asking; the job keeps following the invoice
const CREDIT_CODE = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}";
const IN_FLIGHT = new Set(["requested", "issuing"]);

export function invoiceDeadline(paidAtIso, months) {
  const local = new Date(new Date(paidAtIso).getTime() + 8 * 3600 * 1000); // Beijing wall time, as UTC fields
  const monthIndex = local.getUTCMonth() + months;
  const year = local.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = monthIndex % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const dayOfMonth = Math.min(local.getUTCDate(), lastDay);
  return new Date(Date.UTC(year, month, dayOfMonth + 1) - 8 * 3600 * 1000).toISOString();
}

/** The state of an invoice in Chinese; while the provider works on it, "开具中…". */
export function invoiceStateText(status) {
  if (IN_FLIGHT.has(status)) return "开具中…";
  return (STATES["invoice.status"] || {})[status] || status;
}

function stateBadge(inv) {
  return h("span", { class: `badge badge-${inv.status}`, dataset: { invoiceStatus: inv.status } },
    invoiceStateText(inv.status));
}

function downloadButton(inv, format, text) {
  const button = h("button", { type: "button", class: format === "pdf" ? "btn btn-small btn-primary" : "btn btn-small",
    dataset: { download: format } }, text);
  button.addEventListener("click", () => busy(button, async () => {
    const q = format === "pdf" ? "" : `?format=${format}`;
    const link = await get(`/invoices/${encodeURIComponent(inv.invoice_id)}/download${q}`);
    openLink(link.url);
  }));
  return button;
}

/** One invoice: number, date, state; the provider's documents once issued. */
function invoiceRow(inv, reds) {
  const row = h("div", { class: "invoice-item stack", dataset: { invoiceId: inv.invoice_id } });
  const render = (cur) => {
    row.replaceChildren();
    row.dataset.invoiceStatus = cur.status;
    const kind = cur.kind === "red" ? "红字发票（冲销上面的发票）" : "发票状态";
    row.append(h("p", { class: "row" }, h("strong", {}, kind), " ", stateBadge(cur)));
    const facts = h("dl", { class: "kv" },
      h("dt", {}, "发票抬头"), h("dd", {}, cur.title || "—"),
      cur.credit_code ? [h("dt", {}, "统一社会信用代码"), h("dd", {}, cur.credit_code)] : null,
      h("dt", {}, "项目"), h("dd", {}, `${cur.item || "培训费"}　${yuan(cur.amount_fen)}`),
      cur.invoice_number ? [h("dt", {}, "发票号码"), h("dd", { class: "invoice-number" }, cur.invoice_number)] : null,
      cur.invoice_date ? [h("dt", {}, "开票日期"), h("dd", {}, when(cur.invoice_date))] : null);
    row.append(facts);
    if (IN_FLIGHT.has(cur.status)) {
      row.append(h("p", { class: "small muted", role: "status" },
        "税务平台正在开具，通常一两分钟内完成，本页会自动刷新。", cur.failure_reason ? "（上次开具未成功，已自动重试）" : ""));
    } else if (cur.status === "failed") {
      row.append(h("p", { class: "alert alert-error" },
        `开具失败：${cur.failure_reason || "税务平台未能开具"}。财务会处理后重新开具；如有疑问请联系财务 010-88545091。`));
    } else if (cur.status === "issued" || cur.status === "reversed") {
      const buttons = h("p", { class: "row" }, downloadButton(cur, "pdf", "下载发票 PDF"));
      if ((cur.documents || []).includes("ofd")) buttons.append(" ", downloadButton(cur, "ofd", "OFD"));
      if ((cur.documents || []).includes("xml")) buttons.append(" ", downloadButton(cur, "xml", "XML"));
      row.append(buttons);
      const hint = downloadHint();
      if (hint) row.append(hint);
    }
    if (cur.status === "reversed") {
      row.append(h("p", { class: "small muted" }, `已红冲${cur.reason ? `（${cur.reason}）` : ""}，如需发票可重新申请。`));
    }
    for (const red of reds) row.append(invoiceRow(red, []));
  };
  render(inv);
  if (IN_FLIGHT.has(inv.status)) follow(inv, render, row);
  return row;
}

/** Read the invoice every few seconds while the provider works on it (the server asks the
 * provider on the owner's read); stop when it is issued or failed, or the row is gone. */
function follow(inv, render, row) {
  let n = 0;
  const tick = async () => {
    if (!row.isConnected && n > 0) return;
    n += 1;
    try {
      const cur = await get(`/invoices/${encodeURIComponent(inv.invoice_id)}`);
      render(cur);
      if (IN_FLIGHT.has(cur.status) && n < POLL_MAX) setTimeout(tick, POLL_MS);
      else if (cur.status === "issued") flash("电子发票已开具，可以下载。", "success");
    } catch {
      if (n < POLL_MAX) setTimeout(tick, POLL_MS * 2);
    }
  };
  setTimeout(tick, POLL_MS);
}

/** The 交费凭证 download: the platform's own proof of payment (not an invoice). */
export function receiptBlock(o) {
  const button = h("button", { type: "button", class: "btn btn-small", dataset: { receipt: o.order_id } }, "下载交费凭证（PDF）");
  button.addEventListener("click", () => busy(button, async () => {
    const link = await get(`/orders/${encodeURIComponent(o.order_id)}/receipt`);
    openLink(link.url);
  }));
  return h("div", { class: "receipt stack" },
    h("h3", {}, "交费凭证"),
    h("p", { class: "small muted" }, `证明本订单已交费${o.official_card ? "（注明公务卡支付）" : ""}。交费凭证不是发票，报销请使用电子发票。`),
    h("p", {}, button), downloadHint());
}

export function invoiceBlock(ed, o, invoices, { unit = null } = {}) {
  const box = h("div", { class: "invoice stack" }, h("h3", {}, "电子发票（数电票）"));
  const reds = (id) => invoices.filter((i) => i.kind === "red" && i.reverses_invoice_id === id);
  for (const inv of invoices.filter((i) => i.kind !== "red")) box.append(invoiceRow(inv, reds(inv.invoice_id)));
  const live = invoices.some((i) => i.kind !== "red" && i.status !== "reversed");
  if (!live && o.status === "paid") box.append(requestForm(ed, o, unit));
  else if (!live && !invoices.length) box.append(h("p", { class: "small muted" }, "本订单已申请退费，不能开具发票。"));
  const wrap = h("div", { class: "stack" }, box);
  if (["paid", "refunding", "refunded"].includes(o.status)) wrap.append(receiptBlock(o));
  return wrap;
}

function requestForm(ed, o, unit) {
  const deadline = o.paid_at ? invoiceDeadline(o.paid_at, ed.invoice_window_months || 1) : null;
  const errors = h("div", { class: "form-errors" });
  // The title is known: the trainee's own name (the payer), or the unit's name.
  const title = unit ? unit.unit_name || "" : o.payer_name || "";
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    field("发票抬头", "title", { required: true, value: title, attrs: { maxlength: 100 },
      hint: unit ? "单位全称，与统一社会信用代码一致" : "默认为交费人本人姓名；开给单位请改为单位全称并填写统一社会信用代码" }),
    field("统一社会信用代码", "credit_code", { value: unit ? unit.credit_code || "" : "", required: !!unit,
      hint: unit ? "18 位" : "抬头为单位时必填，18 位", attrs: { maxlength: 18, pattern: CREDIT_CODE, autocapitalize: "characters",
        "data-pattern-message": "统一社会信用代码须为 18 位数字或大写字母" } }),
    h("p", { class: "small muted" }, `项目名称：培训费；金额：${yuan(o.amount_fen)}。${deadline ? `请在 ${endText(deadline)} 前申请。` : "请在交费后一个月内申请。"}发票由税务平台开具，开具后可下载 PDF。`),
    h("button", { type: "submit", class: "btn" }, "申请开票"));
  const code = form.querySelector("[name=credit_code]");
  code.addEventListener("input", () => { code.value = code.value.toUpperCase().replace(/\s+/g, ""); });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!validateForm(form, errors)) return;
    const v = formValues(form);
    const submit = form.querySelector("button[type=submit]");
    busy(submit, async () => {
      const inv = await post("/invoices", { order_id: o.order_id, title: v.title || "", ...(v.credit_code ? { credit_code: v.credit_code } : {}) });
      submit.disabled = true;
      flash(`发票申请已提交（${invoiceStateText(inv.status)}）`, "success");
      go(unit ? "unit-orders" : "orders");
    }, { errorBox: errors });
  });
  return form;
}
