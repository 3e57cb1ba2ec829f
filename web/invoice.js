// Invoices for trainees and units: the request form and the issued invoices of one order.
import { get, post } from "./api.js";
import { go } from "./app.js";
import {
  appNow, badge, busy, CHANNEL_LABELS, card, clear, copyText, day, field, flash, formValues, h,
  openLink, progress, showError, span, STATUS_LABELS, table, when, yuan,
} from "./ui.js";

export function invoiceDeadline(paidAtIso, months) {
  const local = new Date(new Date(paidAtIso).getTime() + 8 * 3600 * 1000); // Beijing wall time, as UTC fields
  const monthIndex = local.getUTCMonth() + months;
  const year = local.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = monthIndex % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const dayOfMonth = Math.min(local.getUTCDate(), lastDay);
  return new Date(Date.UTC(year, month, dayOfMonth + 1) - 8 * 3600 * 1000).toISOString();
}

export function invoiceBlock(ed, o, invoices, { unit = null } = {}) {
  const box = h("div", { class: "invoice stack" }, h("h3", {}, "电子发票"));
  for (const inv of invoices.filter((i) => i.kind !== "red")) {
    const dl = h("button", { type: "button", class: "btn btn-small" }, "下载发票");
    dl.addEventListener("click", () => busy(dl, async () => {
      const link = await get(`/invoices/${encodeURIComponent(inv.invoice_id)}/download`);
      openLink(link.url);
    }));
    box.append(h("p", { class: "row", dataset: { invoiceId: inv.invoice_id } },
      `${inv.invoice_no || ""} · ${inv.title || ""} · ${inv.item || "培训费"} · ${yuan(inv.amount_fen ?? o.amount_fen)} · `,
      inv.status === "reversed" ? h("span", { class: "badge badge-refunded" }, "已红冲") : badge(inv.status), " ",
      inv.status === "issued" && inv.pdf_ready !== false ? dl : h("span", { class: "small muted" }, inv.status === "issued" ? "PDF 生成中，请稍后刷新" : "")));
  }
  if (invoices.some((i) => i.kind !== "red" && i.status === "issued")) return box;
  if (o.status !== "paid") return box;
  const deadline = o.paid_at ? invoiceDeadline(o.paid_at, ed.invoice_window_months || 1) : null;
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    field("发票抬头", "title", { required: true, value: unit ? unit.unit_name : o.buyer_name || "", hint: "个人姓名，或单位全称（单位须填统一社会信用代码）" }),
    field("统一社会信用代码", "credit_code", { value: unit ? unit.credit_code : "", hint: "抬头为单位时必填，18 位", attrs: { maxlength: 18 } }),
    h("p", { class: "small muted" }, `项目名称：培训费；金额：${yuan(o.amount_fen)}。${deadline ? `请在 ${when(deadline)} 前申请。` : "请在交费后一个月内申请。"}`),
    h("button", { type: "submit", class: "btn" }, "申请开票"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    busy(form.querySelector("button[type=submit]"), async () => {
      const inv = await post("/invoices", { order_id: o.order_id, title: v.title || "", ...(v.credit_code ? { credit_code: v.credit_code } : {}) });
      flash(`发票申请已提交（${STATUS_LABELS[inv.status] || inv.status}）`, "success");
      go(unit ? "unit-orders" : "orders");
    }, { errorBox: errors });
  });
  box.append(form);
  return box;
}

