// Finance pages: statement reconciliation (each line as the bank printed it), 我已汇款
// claims, open transfers and group confirmations (with the unit's voucher and member list),
// refunds to complete, overdue transfers, notifications acknowledged without crediting.
// Every list is fetched again after a confirmation.
import { get, post, sheetType, upload } from "./api.js";
import {
  badge, busy, card, CHANNEL_LABELS, clear, endText, field, flash, formValues, h, openLink, progress,
  showError, table, when, yuan,
} from "./ui.js";

// --- finance ---------------------------------------------------------------------------
// Open transfer orders by id (filled by the open-transfers section): shown next to the
// statement's proposed matches, so finance can compare memo and amount before confirming.
const openOrders = new Map();

function orderSummary(orderId) {
  const o = openOrders.get(orderId);
  if (!o) return orderId;
  return h("div", {}, h("div", {}, orderId), h("div", { class: "small muted" },
    `${yuan(o.amount_fen)} · ${o.kind === "group" ? `集体 ${o.members} 人` : o.payer_name || ""}`),
  h("div", { class: "small memo" }, o.memo || ""));
}

async function confirmTransfer(orderId, body) {
  return post(`/admin/orders/${encodeURIComponent(orderId)}/confirm-transfer`, body);
}

function statementSection() {
  const file = h("input", { type: "file", id: "statement-file", name: "statement", accept: ".csv,.xlsx,text/csv" });
  const bar = h("div", {});
  const out = h("div", { id: "statement-result" });
  const form = h("form", { class: "stack" },
    h("div", { class: "field" }, h("label", { for: "statement-file" }, "银行流水文件（CSV 或 XLSX）"), file,
      h("p", { class: "hint" }, "需含 交易日期、收入金额（或贷方金额）、对方户名、附言/摘要、交易流水号 等列。")),
    h("button", { type: "submit", class: "btn btn-primary" }, "上传并匹配"), bar);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) {
      showError({ message: "请选择银行流水文件", field: "statement" });
      return;
    }
    busy(form.querySelector("button"), async () => {
      const res = await upload("/admin/bank-statements", f, sheetType(f), (x) => clear(bar).append(progress(x, 1, "上传进度")));
      renderMatches(out, res);
    });
  });
  return card("银行流水对账", form, out);
}

function confirmButton(label, orderId, body, onDone) {
  const btn = h("button", { type: "button", class: "btn btn-small btn-primary" }, label);
  btn.addEventListener("click", () => busy(btn, async () => {
    const order = await confirmTransfer(orderId, body);
    onDone(order);
  }));
  return btn;
}

function correctForm(lineId, onDone) {
  const form = h("form", { class: "row" },
    h("label", { class: "small", for: `fix-${lineId}` }, "改为订单"),
    h("input", { id: `fix-${lineId}`, name: "order_id", style: "width:9rem", autocomplete: "off" }),
    h("button", { type: "submit", class: "btn btn-small" }, "确认"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const orderId = formValues(form).order_id;
    if (!orderId) {
      showError({ message: "请输入订单号", field: "order_id" });
      return;
    }
    busy(form.querySelector("button"), async () => onDone(await confirmTransfer(orderId, { line_id: lineId })));
  });
  return form;
}

/** A statement line as the bank printed it: 交易流水号 and date, payer and account. */
function serialCell(x) {
  return h("div", {}, h("div", { class: "serial" }, x.bank_serial || "—"), h("div", { class: "small muted" }, x.trade_date || ""));
}
function payerCell(x) {
  return h("div", {}, h("div", {}, x.payer_name || "—"), h("div", { class: "small muted account" }, x.payer_account || ""));
}
function moneyCell(x) {
  return h("div", {}, h("div", {}, x.amount_fen != null ? yuan(x.amount_fen) : "—"), h("div", { class: "small memo" }, x.memo || ""));
}

function renderMatches(out, res) {
  clear(out);
  const doneCell = (order) => h("span", { class: "badge badge-paid" }, `已确认 ${order.order_id}`);
  const replaceWith = (cell) => (order) => {
    clear(cell).append(doneCell(order));
    flash(`已确认到账：订单 ${order.order_id}`, "success");
    refreshLists();
  };
  out.append(h("p", { role: "status", id: "statement-summary" },
    `新导入 ${res.imported ?? "—"} 行，已导入过 ${res.known ?? 0} 行；建议匹配 ${res.matches.length}，待定 ${res.ambiguous.length}，未匹配 ${res.unmatched.length}。`));
  out.append(h("h3", {}, "建议匹配（请核对后确认）"));
  out.append(table(["交易流水号 / 日期", "付款人 / 账号", "金额 / 附言", "订单（金额 · 付款人 · 附言）", "可信度", "操作"], res.matches.map((m) => {
    const cell = h("div", { class: "stack" });
    cell.append(confirmButton("确认到账", m.order_id, { line_id: m.line_id }, replaceWith(cell)), correctForm(m.line_id, replaceWith(cell)));
    return [serialCell(m), payerCell(m), moneyCell(m), orderSummary(m.order_id), m.confidence === "high" ? "高" : "中", cell];
  }), "建议匹配"));
  if (res.ambiguous.length) {
    out.append(h("h3", {}, "待定（多个可能的订单）"));
    out.append(table(["交易流水号 / 日期", "付款人 / 账号", "金额 / 附言", "候选订单", "操作"], res.ambiguous.map((a) => {
      const cell = h("div", { class: "stack" });
      (a.candidates || []).forEach((c) => cell.append(confirmButton(`确认为 ${c.order_id}`, c.order_id, { line_id: a.line_id }, replaceWith(cell))));
      cell.append(correctForm(a.line_id, replaceWith(cell)));
      return [serialCell(a), payerCell(a), moneyCell(a), (a.candidates || []).map((c) => c.order_id).join("、"), cell];
    }), "待定"));
  }
  if (res.unmatched.length) {
    out.append(h("h3", {}, "未匹配"));
    out.append(table(["交易流水号 / 日期", "付款人 / 账号", "金额 / 附言", "指定订单"], res.unmatched.map((u) => {
      const cell = h("div", {});
      cell.append(correctForm(u.line_id, replaceWith(cell)));
      return [serialCell(u), payerCell(u), moneyCell(u), cell];
    }), "未匹配"));
  }
  if ((res.already_credited || []).length) {
    out.append(h("p", { class: "small muted" }, `已入账过的流水：${res.already_credited.map((x) => `${x.bank_serial}→${x.order_id}`).join("、")}`));
  }
}

async function openTransfersSection() {
  const res = await get("/admin/transfers/open");
  openOrders.clear();
  for (const o of res.orders) openOrders.set(o.order_id, o);
  const body = h("div", {});
  const manual = h("form", { class: "filters", "aria-label": "无流水时按订单确认" },
    field("订单号", "order_id", { required: true }),
    field("银行流水号", "bank_serial", { required: true }),
    field("到账金额（元）", "amount", { kind: "number", required: true, attrs: { step: "0.01", min: "0" } }),
    h("div", { class: "field" }, h("button", { type: "submit", class: "btn" }, "确认到账")));
  manual.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(manual);
    const fen = Math.round(Number(v.amount) * 100);
    if (!v.order_id || !v.bank_serial || !(fen > 0)) {
      showError({ message: "请填写订单号、银行流水号和金额", field: !v.order_id ? "order_id" : !v.bank_serial ? "bank_serial" : "amount" });
      return;
    }
    busy(manual.querySelector("button"), async () => {
      const order = await confirmTransfer(v.order_id, { bank_serial: v.bank_serial, amount_fen: fen });
      flash(`已确认到账：订单 ${order.order_id}`, "success");
      refreshLists();
    });
  });
  const pick = (o) => {
    // the name a screen reader says starts with the visible text (then the order)
    const btn = h("button", { type: "button", class: "btn btn-small", "aria-label": `确认到账… 订单 ${o.order_id}` }, "确认到账…");
    btn.addEventListener("click", () => {
      manual.querySelector("[name=order_id]").value = o.order_id;
      manual.querySelector("[name=amount]").value = (o.amount_fen / 100).toFixed(2);
      manual.querySelector("[name=bank_serial]").focus();
    });
    return btn;
  };
  body.append(table(["订单", "类型", "金额", "附言", "人数", "凭证 / 名单", "审核截止", ""], res.orders.map((o) => [
    o.order_id, o.kind === "group" ? `集体（${o.unit_name}）` : `个人（${o.payer_name}）`, yuan(o.amount_fen),
    h("span", { class: "memo" }, o.memo || ""), o.members,
    o.kind === "group" ? uploadsCell(o) : "—",
    o.review_due_at ? endText(o.review_due_at, { year: false }) : "—", pick(o)]), "待确认的银行转账"),
  h("h3", {}, "按订单确认（没有流水文件时）"), manual);
  return card(`待确认转账与集体交费（${res.orders.length}）`, body);
}

/** The unit's remittance voucher and member list of a group order, opened from the row
 * (5-minute links). */
function uploadsCell(o) {
  const cell = h("div", { class: "row uploads" });
  const open = (kind, label, present) => {
    if (!present) return h("span", { class: "small muted" }, `${label}未上传`);
    const btn = h("button", { type: "button", class: "btn btn-small", dataset: { kind } }, `查看${label}`);
    btn.addEventListener("click", () => busy(btn, async () => {
      const links = await get(`/admin/orders/${encodeURIComponent(o.order_id)}/uploads`);
      if (!links[kind]) throw new Error(`${label}尚未上传`);
      openLink(links[kind].url);
    }));
    return btn;
  };
  cell.append(open("voucher", "汇款凭证", o.voucher_uploaded), open("member_list", "学员名单", o.member_list_uploaded));
  return cell;
}

async function claimsSection() {
  const res = await get("/admin/transfer-claims");
  return card(`学员已报“我已汇款”（${res.orders.length}）`,
    h("p", { class: "small muted" }, "学员登记的汇款日期与金额仅供核对，请以银行流水为准确认到账。"),
    table(["订单", "付款人 / 附言", "应交", "报称汇款日", "报称金额", "登记时间"], res.orders.map((o) => [
      o.order_id, h("div", {}, h("div", {}, o.payer_name || ""), h("div", { class: "small memo" }, o.memo || "")),
      yuan(o.amount_fen), o.transfer_claim.paid_on,
      o.transfer_claim.amount_fen === o.amount_fen ? yuan(o.transfer_claim.amount_fen)
        : h("span", { class: "badge badge-failed" }, `${yuan(o.transfer_claim.amount_fen)}（与应交不符）`),
      when(o.transfer_claim.claimed_at)]), "学员已报汇款"));
}

async function flaggedSection() {
  const res = await get("/admin/payment-notifications?limit=50");
  return card(`未入账的支付通知（${res.notifications.length}${res.next_token ? "+" : ""}）`,
    h("p", { class: "small muted" }, "以下通知已答复渠道但没有入账（或已自动退回），请核对；原因说明处理方式。"),
    table(["收到时间", "渠道", "交易号", "订单号", "金额", "原因", "说明", "次数"], res.notifications.map((n) => [
      when(n.received_at), CHANNEL_LABELS[n.provider] || n.provider, h("span", { class: "serial" }, n.provider_txn_id),
      n.out_trade_no || "—", n.amount_fen != null ? yuan(n.amount_fen) : "—", h("strong", {}, n.reason || n.problem),
      n.detail || "", String(n.deliveries)]), "未入账的支付通知"));
}

async function refundsSection() {
  const [requested, failed] = await Promise.all([get("/admin/refunds?status=requested"), get("/admin/refunds?status=failed")]);
  const items = [...requested.refunds, ...failed.refunds];
  const rows = items.map((r) => {
    const form = h("form", { class: "row" },
      h("label", { class: "small", for: `rs-${r.refund_id}` }, "退款流水号"),
      h("input", { id: `rs-${r.refund_id}`, name: "bank_serial", style: "width:10rem", required: true }),
      h("button", { type: "submit", class: "btn btn-small" }, "登记已退款"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const serial = formValues(form).bank_serial;
      if (!serial) {
        showError({ message: "请填写退款的银行流水号", field: "bank_serial" });
        return;
      }
      busy(form.querySelector("button"), async () => {
        await post(`/admin/refunds/${encodeURIComponent(r.refund_id)}/complete`, { bank_serial: serial });
        clear(form).append(badge("done"));
        flash(`退款 ${r.refund_id} 已登记完成`, "success");
        refreshLists();
      });
    });
    return [r.refund_id, r.order_id, yuan(r.amount_fen), CHANNEL_LABELS[r.channel] || r.channel || "", badge(r.status), r.reason || r.kind || "", form];
  });
  return card(`待办退款（${items.length}）`, table(["退款", "订单", "金额", "原渠道", "状态", "原因", "办理"], rows, "待办退款"));
}

async function overdueSection() {
  const res = await get("/admin/orders/overdue-transfers");
  return card(`超过审核期的转账（${res.orders.length}）`, table(["订单", "金额", "附言", "创建", "审核截止"],
    res.orders.map((o) => [o.order_id, yuan(o.amount_fen), o.memo || "", when(o.created_at), endText(o.review_due_at, { year: false })]), "逾期转账"));
}

// The lists below the statement, each in its own slot so a confirmation refreshes them in
// place (the statement's result stays on screen).
const LISTS = [["claims", claimsSection], ["open-transfers", openTransfersSection], ["refunds", refundsSection],
  ["overdue", overdueSection], ["flagged", flaggedSection]];

async function refreshLists() {
  await Promise.all(LISTS.map(async ([name, build]) => {
    const slot = document.querySelector(`[data-finance-list="${name}"]`);
    if (!slot) return;
    slot.setAttribute("aria-busy", "true"); // set at once: readers (and tests) wait for it to go
    try {
      const fresh = await build();
      clear(slot).append(fresh);
    } catch (err) {
      showError(err);
    } finally {
      slot.removeAttribute("aria-busy");
    }
  }));
}

async function financePage(main) {
  main.append(h("h1", {}, "财务"), statementSection());
  const slots = LISTS.map(([name]) => h("div", { dataset: { financeList: name } }));
  main.append(...slots);
  await refreshLists();
}

export const pages = {
  finance: { title: "财务", roles: ["finance", "admin"], render: financePage },
};
