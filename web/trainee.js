// Trainee pages: registration and calendar, payment, orders (refund, invoice), courses and
// the player, the questionnaire, the certificate; and contacts/help (public).
import { get, post } from "./api.js";
import { currentEdition, go } from "./app.js";
import { HEARTBEAT_S } from "./config.js";
import { qrSvg } from "./qr.js";
import {
  appNow, badge, busy, CHANNEL_LABELS, card, clear, copyText, day, field, flash, formValues, h,
  openLink, progress, showError, span, STATUS_LABELS, table, when, yuan,
} from "./ui.js";

const WINDOW_ORDER = ["registration", "payment", "refund", "learning", "questionnaire", "certificate"];
const LIVE = ["pending", "approved"];

/** A ticking countdown text that stops when its element leaves the page. */
function ticker(el, compute) {
  const tick = () => {
    if (!el.isConnected && el.dataset.started) {
      clearInterval(timer);
      return;
    }
    el.dataset.started = "1";
    el.textContent = compute();
  };
  const timer = setInterval(tick, 1000);
  tick();
  return el;
}

function windowState(w) {
  const now = appNow();
  const opens = w.opens ? new Date(w.opens).getTime() : null;
  const closes = new Date(w.closes).getTime();
  if (opens !== null && now < opens) return { state: "soon", text: `距开始还有 ${span(opens - now)}` };
  if (now < closes) return { state: "open", text: `距截止还有 ${span(closes - now)}` };
  return { state: "over", text: "已结束" };
}

export function calendarCard(ed) {
  const items = WINDOW_ORDER.filter((k) => ed.windows[k]).map((key) => {
    const w = ed.windows[key];
    const first = windowState(w);
    const range = w.opens ? `${when(w.opens)} 至 ${when(w.closes)}` : `${key === "payment" ? "审核通过后" : "交费后"}至 ${when(w.closes)}`;
    const status = h("span", { class: `badge ${first.state === "open" ? "badge-open-now" : first.state === "over" ? "badge-closed" : "badge-pending"}` },
      first.state === "open" ? "进行中" : first.state === "over" ? "已结束" : "未开始");
    return h("li", { class: first.state === "open" ? "is-open" : "", dataset: { window: key } },
      h("div", {}, h("span", { class: "w-name" }, w.label), " ", status, h("div", { class: "small muted" }, range)),
      ticker(h("span", { class: "countdown", "aria-live": "off" }), () => windowState(w).text));
  });
  items.push(h("li", { dataset: { window: "invoice" } },
    h("div", {}, h("span", { class: "w-name" }, "发票申请"), h("div", { class: "small muted" }, "交费后一个月内（至对应日期当天 24:00）"))));
  return card(`${ed.title} · 日程`, h("p", { class: "small muted" }, "时间均为北京时间；截止时刻以服务器时间为准，精确到秒。"),
    h("ul", { class: "windows" }, items));
}

function profileCard(me) {
  const m = me.membership;
  return card("个人资料",
    h("dl", { class: "kv" },
      h("dt", {}, "姓名"), h("dd", {}, me.name || "—"),
      h("dt", {}, "邮箱"), h("dd", {}, me.email),
      h("dt", {}, "手机"), h("dd", {}, me.phone || "—"),
      h("dt", {}, "会员状态"), h("dd", { id: "membership" },
        m ? [h("span", { class: `badge ${m.is_member ? "badge-approved" : ""}` }, m.is_member ? "会员" : "非会员"), " ",
          m.member_no ? `会员号 ${m.member_no}。` : "", m.note || ""] : "—")),
    h("p", { class: "small muted" }, "会员资格以报名提交时为准（已缴纳本年度会费且入会申请已审批），报名后不再改价。会员问题请联系入会咨询 010-88544433。"));
}

function registrationView(reg, ed) {
  const rows = [
    ["报名编号", reg.registration_id],
    ["审核状态", badge(reg.status)],
    ["交费状态", badge(reg.payment_status)],
    ["费用", `${yuan(reg.fee_fen)}（${reg.tier === "member" ? "会员价" : "非会员价"}）`],
    ["姓名 / 单位", `${reg.name || ""} / ${reg.unit_name || ""}`],
    ["提交时间", when(reg.submitted_at)],
  ];
  const actions = h("div", { class: "toolbar" });
  if (reg.status === "approved" && reg.payment_status === "unpaid") {
    actions.append(h("a", { class: "btn btn-primary", href: `#/pay/${reg.registration_id}` }, "去交费"));
  }
  if (reg.payment_status === "paid") {
    actions.append(h("a", { class: "btn btn-primary", href: "#/learn" }, "进入在线学习"),
      h("a", { class: "btn", href: "#/orders" }, "订单、退费与发票"));
  }
  if (LIVE.includes(reg.status) && reg.payment_status === "unpaid") {
    const withdraw = h("button", { type: "button", class: "btn btn-danger" }, "撤回报名");
    withdraw.addEventListener("click", () => {
      if (!window.confirm("确定撤回这条报名吗？撤回后可在报名期内重新报名。")) return;
      busy(withdraw, async () => {
        await post(`/registrations/${encodeURIComponent(reg.registration_id)}/withdraw`);
        flash("报名已撤回", "success");
        go("home");
      });
    });
    actions.append(withdraw);
  }
  return h("div", { class: "registration", dataset: { registrationId: reg.registration_id, status: reg.status } },
    h("dl", { class: "kv" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    reg.status === "pending" ? h("p", { class: "alert alert-info" }, "报名已提交，等待审核。审核结果会以邮件通知，也可随时在此查看。") : null,
    reg.status === "approved" && reg.payment_status === "unpaid" ? h("p", { class: "alert alert-success" },
      `报名成功。请在 ${when(ed.windows.payment.closes)} 前交费。`) : null,
    reg.status === "rejected" ? h("div", { class: "alert alert-error", role: "note" },
      h("strong", {}, "报名未通过审核。"), " 原因：", h("span", { class: "reject-reason" }, reg.reject_reason || "（未填写）")) : null,
    actions);
}

function registrationForm(me, ed) {
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "报名表" },
    errors,
    field("姓名", "name", { required: true, value: me.name, attrs: { autocomplete: "name" } }),
    field("单位名称", "unit_name", { required: true, value: me.unit_name, hint: "请填写单位全称；集体交费时须与单位账号的单位名称一致" }),
    field("职务 / 职称", "job_title", { required: true }),
    field("所在地区", "region", { required: true, hint: "例如：北京、广东省广州市" }),
    field("手机号", "phone", { kind: "tel", value: me.phone, attrs: { autocomplete: "tel" } }),
    field("邮箱", "email", { kind: "email", value: me.email, attrs: { autocomplete: "email" } }),
    h("p", { class: "small muted" }, `费用：会员 ${yuan(ed.fees.member_fen)}，非会员 ${yuan(ed.fees.non_member_fen)}，按提交时的会员资格确定。`),
    h("button", { type: "submit", class: "btn btn-primary" }, "提交报名"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form.querySelector("button[type=submit]"), async () => {
      const reg = await post("/registrations", formValues(form));
      flash(`报名已提交（${STATUS_LABELS[reg.status] || reg.status}），费用 ${yuan(reg.fee_fen)}`, "success");
      go("home");
    }, { errorBox: errors });
  });
  return form;
}

async function homePage(main) {
  const [me, ed, mine] = await Promise.all([get("/me"), currentEdition(true), get("/registrations/mine")]);
  const regs = mine.registrations.filter((r) => r.edition_id === ed.edition_id || !r.edition_id);
  const live = regs.find((r) => LIVE.includes(r.status));
  const latest = regs[regs.length - 1];
  let regCard;
  if (live) regCard = card("我的报名", registrationView(live, ed));
  else {
    const parts = [];
    if (latest) parts.push(registrationView(latest, ed));
    if (ed.windows.registration.open_now) {
      parts.push(h("h3", {}, latest ? "重新报名" : "填写报名表"), registrationForm(me, ed));
    } else {
      parts.push(h("p", { class: "alert alert-info" }, `报名时间：${when(ed.windows.registration.opens)} 至 ${when(ed.windows.registration.closes)}（北京时间），当前不在报名期内。`));
    }
    regCard = card("我的报名", ...parts);
  }
  main.append(h("h1", {}, `您好，${me.name || me.email}`), regCard, h("div", { class: "cols" }, calendarCard(ed), profileCard(me)));
}

// --- payment ---------------------------------------------------------------------------
export function bankBlock(ed, order) {
  const bi = order.bank_instructions || {};
  const acct = bi.account_no ? bi : ed.bank_account || {};
  const memo = bi.memo || order.memo || "";
  const copyBtn = h("button", { type: "button", class: "btn btn-small", "aria-label": "复制汇款附言" }, "复制附言");
  const copied = h("span", { class: "small", role: "status" });
  copyBtn.addEventListener("click", async () => {
    copied.textContent = (await copyText(memo)) ? "已复制" : "复制失败，请手动选择";
  });
  const due = bi.review_due_at || order.review_due_at;
  return h("div", { class: "bank stack" },
    h("p", {}, "请通过银行转账汇款，", h("strong", {}, "附言必须与下面完全一致"), "，财务据此核对到账："),
    h("dl", { class: "kv" },
      h("dt", {}, "户名"), h("dd", {}, acct.account_name || "—"),
      h("dt", {}, "开户行"), h("dd", {}, acct.bank_name || "—"),
      h("dt", {}, "账号"), h("dd", {}, acct.account_no || "—"),
      h("dt", {}, "行号"), h("dd", {}, acct.bank_code || "—"),
      h("dt", {}, "金额"), h("dd", {}, yuan(order.amount_fen)),
      h("dt", {}, "附言"), h("dd", {}, h("span", { class: "memo", id: "memo" }, memo), " ", copyBtn, " ", copied)),
    due ? h("p", { class: "alert alert-info" }, `财务人工核对转账（约 ${ed.transfer_review_working_days || 5} 个工作日），预计在 ${day(due)} 前完成确认。`) :
      h("p", { class: "alert alert-info" }, `财务人工核对转账，约 ${ed.transfer_review_working_days || 5} 个工作日。`),
    h("p", { class: "small muted" }, `如有疑问请联系财务 ${bi.finance_email || ed.finance_email || ""}（010-88545091）。`));
}

function orderInstructions(ed, order) {
  const parts = [h("dl", { class: "kv" },
    h("dt", {}, "订单号"), h("dd", {}, order.order_id),
    h("dt", {}, "金额"), h("dd", {}, yuan(order.amount_fen)),
    h("dt", {}, "方式"), h("dd", {}, CHANNEL_LABELS[order.channel] || order.channel),
    h("dt", {}, "状态"), h("dd", {}, badge(order.status)))];
  if (order.status === "open") {
    if (order.pay_url) {
      parts.push(h("p", {}, h("a", { class: "btn btn-primary", href: order.pay_url, id: "pay-link", target: "_blank", rel: "noopener" }, "前往支付宝付款")),
        h("p", { class: "small muted" }, "收银台在新页面打开；付款完成后本页会自动更新交费状态。"));
    } else if (order.code_url) {
      const svg = qrSvg(order.code_url, { label: "微信支付二维码" });
      parts.push(h("div", { class: "qr-box", id: "wechat-qr" }), h("p", { class: "small", style: "text-align:center" }, "请使用微信“扫一扫”扫描二维码付款"));
      parts[parts.length - 2].innerHTML = svg;
    } else if (order.channel === "bank_transfer" || order.bank_instructions) {
      parts.push(bankBlock(ed, order));
    }
  }
  const box = h("div", { class: "order stack", dataset: { orderId: order.order_id } }, ...parts);
  if (order.status === "open" && (order.pay_url || order.code_url) && order.kind !== "group") watchPaid(order, box);
  return box;
}

/** While an online order's instructions are on screen, look every few seconds whether the
 * provider's notification has marked the registration paid; then show it. */
function watchPaid(order, box) {
  const registrationId = (order.registration_ids || [])[0] || order.registration_id;
  if (!registrationId) return;
  const timer = setInterval(async () => {
    if (!box.isConnected) {
      clearInterval(timer);
      return;
    }
    try {
      const mine = await get("/registrations/mine");
      const reg = mine.registrations.find((r) => r.registration_id === registrationId);
      if (reg && reg.payment_status === "paid" && box.isConnected) {
        clearInterval(timer);
        flash("交费成功", "success");
        go("pay", registrationId);
      }
    } catch {
      clearInterval(timer); // signed out or offline: the refresh button still works
    }
  }, 3000);
}

async function payPage(main, registrationId) {
  const [ed, mine, orders] = await Promise.all([currentEdition(true), get("/registrations/mine"), get("/orders/mine")]);
  const reg = mine.registrations.find((r) => r.registration_id === registrationId);
  main.append(h("h1", {}, "交费"));
  if (!reg) {
    main.append(card("找不到报名", h("p", {}, h("a", { href: "#/home" }, "返回我的报名"))));
    return;
  }
  const summary = h("p", {}, `${reg.name} · ${reg.unit_name} · 应交 `, h("strong", {}, yuan(reg.fee_fen)), ` · `, badge(reg.payment_status));
  const refresh = h("button", { type: "button", class: "btn" }, "刷新交费状态");
  refresh.addEventListener("click", () => go("pay", registrationId));
  if (reg.payment_status === "paid") {
    main.append(card("已交费", summary, h("p", { class: "alert alert-success", id: "paid-note" }, "交费已确认。"),
      h("div", { class: "toolbar" }, h("a", { class: "btn btn-primary", href: "#/learn" }, "进入在线学习"), h("a", { class: "btn", href: "#/orders" }, "订单与发票"))));
    return;
  }
  if (reg.status !== "approved") {
    main.append(card("暂不能交费", summary, h("p", {}, "报名审核通过后才能交费。")));
    return;
  }
  const open = (orders.orders || []).find((o) => o.status === "open" && (o.registration_id === registrationId || (o.registration_ids || []).includes(registrationId)));
  if (open && open.kind === "group") {
    main.append(card("单位集体交费中", summary, h("p", { class: "alert alert-info", id: "in-group" },
      `本报名已在“${open.unit_name || "本单位"}”的集体订单 ${open.order_id} 中，由单位统一汇款；如需个人交费，请联系单位将您移出该订单。`),
    h("div", { class: "toolbar" }, refresh)));
    return;
  }
  if (open) {
    main.append(card("待支付订单", summary, orderInstructions(ed, open), h("div", { class: "toolbar" }, refresh)),
      card("更换交费方式", h("p", { class: "small muted" }, "选择其他方式会先取消上面的订单；已付款请勿更换。"), channelForm(ed, reg, open)));
    return;
  }
  main.append(card("选择交费方式", summary, channelForm(ed, reg)));
}

function channelForm(ed, reg, openOrder = null) {
  const errors = h("div", { class: "form-errors" });
  const option = (value, label, hint, checked) => h("label", {},
    h("input", { type: "radio", name: "channel", value, checked }), ` ${label}`,
    hint ? h("span", { class: "small muted" }, `（${hint}）`) : null);
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    h("fieldset", { class: "choice" }, h("legend", {}, "交费方式"),
      option("alipay", "支付宝", "推荐，实时到账", true),
      option("wechatpay", "微信支付", "扫码付款，实时到账"),
      option("bank_transfer", "银行转账", `财务人工核对，约 ${ed.transfer_review_working_days || 5} 个工作日`)),
    h("label", {}, h("input", { type: "checkbox", name: "official_card" }), " 使用公务卡支付（需要公务卡报销凭证）"),
    h("button", { type: "submit", class: "btn btn-primary" }, "确认交费方式"));
  const result = h("div", { class: "pay-result" });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    busy(form.querySelector("button[type=submit]"), async () => {
      if (openOrder) {
        await post(`/orders/${encodeURIComponent(openOrder.order_id)}/cancel`);
        document.querySelector(`.order[data-order-id="${CSS.escape(openOrder.order_id)}"]`)?.closest(".card")?.remove();
        openOrder = null;
      }
      const order = await post("/orders", { registration_id: reg.registration_id, channel: v.channel, official_card: !!v.official_card });
      clear(result).append(orderInstructions(ed, order));
      const refresh = h("button", { type: "button", class: "btn" }, "刷新交费状态");
      refresh.addEventListener("click", () => go("pay", reg.registration_id));
      result.append(h("div", { class: "toolbar" }, refresh));
      result.querySelector("a, button")?.focus();
    }, { errorBox: errors });
  });
  return h("div", {}, form, result);
}

// --- orders, refunds, invoices ---------------------------------------------------------
async function ordersPage(main) {
  const [ed, data] = await Promise.all([currentEdition(true), get("/orders/mine")]);
  const orders = data.orders || [];
  const invoices = (await get("/invoices/mine")).invoices || [];
  // Refunds come with an order's detail: fetched for the orders that can have one.
  const details = await Promise.all(orders.map((o) => (["paid", "refunding", "refunded"].includes(o.status)
    ? get(`/orders/${encodeURIComponent(o.order_id)}`) : Promise.resolve({ refunds: [] }))));
  main.append(h("h1", {}, "订单·退费·发票"));
  if (!orders.length) {
    main.append(card("还没有订单", h("p", {}, "报名审核通过后，在", h("a", { href: "#/home" }, "我的报名"), "中交费。")));
    return;
  }
  orders.forEach((o, i) => main.append(orderCard(ed, o, invoices.filter((x) => x.order_id === o.order_id), details[i].refunds || [])));
}

function orderCard(ed, o, invoices, refunds) {
  const body = [h("dl", { class: "kv" },
    h("dt", {}, "订单号"), h("dd", {}, o.order_id),
    h("dt", {}, "方式"), h("dd", {}, CHANNEL_LABELS[o.channel] || o.channel || (o.kind === "group" ? "集体交费" : "—")),
    h("dt", {}, "金额"), h("dd", {}, yuan(o.amount_fen)),
    h("dt", {}, "状态"), h("dd", {}, badge(o.status)),
    h("dt", {}, "创建"), h("dd", {}, when(o.created_at)),
    o.paid_at ? [h("dt", {}, "交费时间"), h("dd", {}, when(o.paid_at))] : null,
    o.official_card ? [h("dt", {}, "公务卡"), h("dd", {}, "是")] : null)];
  if (o.status === "open" && o.kind !== "group") body.push(orderInstructions(ed, o));
  if (refunds.length) {
    body.push(h("h3", {}, "退费"), table(["退费号", "金额", "状态", "时间"],
      refunds.map((r) => [r.refund_id, yuan(r.amount_fen), badge(r.status), when(r.requested_at)])));
  }
  if (o.status === "paid" && o.kind !== "group") body.push(refundBlock(ed, o));
  if (o.status === "paid" && o.kind === "group") body.push(h("p", { class: "small muted" }, `本报名由单位集体交费（${o.unit_name || ""}），发票由单位申请。`));
  else if (o.status === "paid" || o.status === "refunded" || o.status === "refunding") body.push(invoiceBlock(ed, o, invoices));
  if (o.status === "closed" && o.close_reason) body.push(h("p", { class: "small muted" }, `关闭原因：${CLOSE_REASONS[o.close_reason] || o.close_reason}`));
  return card(`订单 ${o.order_id}`, ...body);
}

const CLOSE_REASONS = { cancelled: "已取消（更换交费方式或主动取消）", payment_window_closed: "交费期已结束" };

function refundBlock(ed, o) {
  const w = ed.windows.refund;
  const box = h("div", { class: "refund stack" }, h("h3", {}, "申请退费"));
  if (!w.open_now || appNow() >= new Date(w.closes).getTime()) {
    box.append(h("p", { class: "alert alert-info refund-closed" },
      `退费申请已于 ${when(w.closes)} 截止（课程开始后不能申请退费）。未审核通过的报名所交费用会原路自动退回。`));
    return box;
  }
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    field("退费原因", "reason", { kind: "textarea", required: true }),
    h("p", { class: "small muted" }, `可在 ${when(w.closes)} 前申请，按原支付方式退回。`),
    h("button", { type: "submit", class: "btn btn-danger" }, "提交退费申请"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form.querySelector("button[type=submit]"), async () => {
      const r = await post("/refunds", { order_id: o.order_id, reason: formValues(form).reason || "" });
      flash(`退费申请已提交（${STATUS_LABELS[r.status] || r.status}）`, "success");
      go("orders");
    }, { errorBox: errors });
  });
  box.append(form);
  return box;
}

/** End of the same Beijing calendar day `months` later, clamped to the month's last day
 * (01-31 + 1 month -> 02-28/29), as the instant the invoice window closes. */
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

// --- learning --------------------------------------------------------------------------
async function learnPage(main) {
  main.append(h("h1", {}, "我的课程"));
  const ed = await currentEdition(true);
  let data;
  try {
    data = await get("/learning/courses");
  } catch (err) {
    main.append(card("在线学习", h("p", { class: "alert alert-info" }, err.message),
      h("p", { class: "small muted" }, `在线学习时间：${when(ed.windows.learning.opens)} 至 ${when(ed.windows.learning.closes)}。`)));
    return;
  }
  const courses = data.courses || [];
  if (data.learning_open === false) {
    const before = appNow() < new Date(data.learning_opens || ed.windows.learning.opens).getTime();
    main.append(card("在线学习", h("p", { class: "alert alert-info", id: "learning-closed" }, before
      ? `在线学习将于 ${when(data.learning_opens || ed.windows.learning.opens)} 开始，届时即可选学和观看课程。`
      : `在线学习已于 ${when(data.learning_closes || ed.windows.learning.closes)} 结束，不能补学。`)));
  } else if (data.enrolled === false) {
    const btn = h("button", { type: "button", class: "btn btn-primary", id: "enroll" }, "选学本届全部课程");
    btn.addEventListener("click", () => busy(btn, async () => {
      await post("/learning/enroll", {});
      flash("选学成功", "success");
      go("learn");
    }));
    main.append(card("选学", h("p", {}, `本届共 ${courses.length} 门课程、${ed.total_hours || ""} 学时。选学后即可开始学习。`), btn));
  }
  const done = courses.filter((c) => c.completed).length;
  const list = h("ul", { class: "courses" }, courses.map((c) => h("li", { dataset: { courseId: c.course_id } },
    h("div", { class: "course-head" },
      h("strong", {}, c.title), h("span", { class: "small muted" }, `${c.hours} 学时`),
      c.completed ? h("span", { class: "badge badge-done" }, "学习完") : null),
    progress(c.credited_s || 0, c.required_s || 1, `${c.title} 学习进度`),
    data.enrolled === false || data.learning_open === false ? null : h("p", {}, h("a", { class: "btn btn-small", href: `#/play/${c.course_id}`, "aria-label": `学习 ${c.title}` }, c.credited_s ? "继续学习" : "开始学习")))));
  main.append(card(`课程（已学完 ${done}/${courses.length}）`,
    progress(done, courses.length || 1, "全部课程完成度"),
    h("p", { class: "small muted" }, `学习截止：${when(ed.windows.learning.closes)}，过期不能补学。视频仅供在线观看，禁止录制、下载和转播。`),
    list),
  done === courses.length && courses.length ? card("下一步", h("p", {}, h("a", { href: "#/questionnaire" }, "填写课程效果问卷"))) : "");
}

async function playPage(main, courseId) {
  const data = await get("/learning/courses");
  const course = (data.courses || []).find((c) => c.course_id === courseId);
  main.append(h("h1", {}, course ? course.title : "课程"));
  if (!course) {
    main.append(card("找不到课程", h("a", { href: "#/learn" }, "返回我的课程")));
    return;
  }
  const link = await get(`/learning/courses/${encodeURIComponent(courseId)}/play`);
  const resumeAt = link.position_s ?? course.position_s ?? 0;
  const video = h("video", {
    controls: true, controlslist: "nodownload noremoteplayback", disablepictureinpicture: true,
    disableremoteplayback: true, preload: "metadata", playsinline: true, "aria-label": `${course.title} 课程视频`,
  });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.src = link.url;
  const bar = h("div", { id: "course-progress" }, progress(course.credited_s || 0, course.required_s || 1, "本课学习进度"));
  const status = h("p", { class: "small muted", role: "status", id: "hb-status" },
    resumeAt ? `上次看到 ${Math.floor(resumeAt / 60)} 分 ${Math.floor(resumeAt % 60)} 秒，将从该处继续。` : "");
  let resumed = false;
  video.addEventListener("loadedmetadata", () => {
    if (!resumed && resumeAt > 0 && resumeAt < (video.duration || Infinity)) video.currentTime = resumeAt;
    resumed = true;
  });
  video.dataset.resumeAt = String(resumeAt);
  let sending = false;
  let token = link.token || null;
  const sessionId = link.session_id || null; // this window's play session
  let superseded = false;
  const supersededNote = h("p", { class: "alert alert-error", id: "session-superseded", role: "alert", hidden: true });
  const loadError = h("p", { class: "alert alert-error", id: "video-error", hidden: true }, "视频加载失败，请刷新页面重试（播放地址几分钟后失效）。");
  video.addEventListener("error", () => {
    loadError.hidden = false;
  });
  // position: the player's, or (browser tests only) a given one
  const beat = async (position) => {
    if (sending || superseded || !video.isConnected) return;
    sending = true;
    try {
      const pos = Math.floor(typeof position === "number" ? position : (resumed ? video.currentTime : Math.max(video.currentTime, resumeAt)));
      const r = await post(`/learning/courses/${encodeURIComponent(courseId)}/heartbeat`, { position_s: pos, session_id: sessionId, ...(token ? { token } : {}) });
      token = r.token || null;
      clear(bar).append(progress(r.credited_s, r.required_s || course.required_s || 1, "本课学习进度"));
      status.textContent = r.completed ? "本课已学习完。" : `已记录学习进度（${Math.floor(pos / 60)} 分 ${pos % 60} 秒）`;
      video.dataset.credited = String(r.credited_s);
    } catch (err) {
      if (err.code === "SESSION_SUPERSEDED") {
        // a newer play session (another tab, device or course) took over: stop timing here
        superseded = true;
        video.pause();
        supersededNote.textContent = `${err.message}。如需在本窗口继续学习，请刷新页面。`;
        supersededNote.hidden = false;
        status.textContent = err.message;
        video.dataset.superseded = "true";
        return;
      }
      showError(err);
      if (err.status === 409 || err.status === 403) video.pause();
    } finally {
      sending = false;
    }
  };
  const every = (window.__LSC_TEST__ && window.__LSC_TEST__.heartbeat_s) || link.heartbeat_interval_s || HEARTBEAT_S;
  const timer = setInterval(() => {
    if (!video.isConnected) clearInterval(timer);
    else if (!video.paused) beat();
  }, every * 1000);
  video.addEventListener("pause", () => beat());
  video.addEventListener("ended", () => beat());
  video.addEventListener("play", () => {
    if (superseded) video.pause(); // this window's session is over: reload to play here
  });
  main.append(card("视频", supersededNote, loadError, video, bar, status,
    h("p", { class: "small muted" }, "学习进度按实际观看时间记录；请勿拖动或倍速跳过。课程视频版权归主办方所有，禁止录制、下载和转播。"),
    h("p", {}, h("a", { href: "#/learn" }, "返回我的课程"))));
  window.__lscBeat = beat; // the browser test sends a beat without waiting 30 s
}

// --- questionnaire ---------------------------------------------------------------------
async function questionnairePage(main) {
  main.append(h("h1", {}, "课程效果问卷"));
  const q = await get("/questionnaire");
  if (q.submitted) {
    main.append(card("问卷", h("p", { class: "alert alert-success", id: "q-done" }, "您已提交问卷，感谢您的反馈。"), h("a", { href: "#/certificate" }, "查看结业证书")));
    return;
  }
  const UNMET = {
    courses_incomplete: "全部课程学习完后才能填写问卷", window_closed: `问卷填写时间：${when(q.opens)} 至 ${when(q.closes)}`,
    not_registered: "您还没有本届报名", not_approved: "报名尚未审核通过", not_paid: "尚未交费",
  };
  if (q.can_submit === false) {
    main.append(card("暂不能填写问卷", h("ul", { id: "q-unmet" }, (q.unmet || []).map((u) => h("li", {}, UNMET[u] || u))),
      h("p", {}, h("a", { href: "#/learn" }, "查看我的课程"))));
    return;
  }
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true, id: "questionnaire" }, errors,
    (q.questions || []).map((qu, i) => {
      const num = `${i + 1}. `;
      if (qu.type === "rating") {
        return h("fieldset", { class: "question rating-q", dataset: { questionId: qu.question_id } },
          h("legend", {}, num, qu.text, qu.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
          h("div", { class: "rating" }, [5, 4, 3, 2, 1].map((n) => h("label", {},
            h("input", { type: "radio", name: qu.question_id, value: String(n), required: qu.required }),
            `${n} 分${n === 5 ? "（很好）" : n === 1 ? "（很差）" : ""}`))));
      }
      return h("div", { class: "question", dataset: { questionId: qu.question_id } },
        field(`${num}${qu.text}`, qu.question_id, { kind: "textarea", required: qu.required }));
    }),
    h("button", { type: "submit", class: "btn btn-primary" }, "提交问卷"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    const answers = {};
    for (const qu of q.questions || []) {
      if (v[qu.question_id] === undefined) {
        if (qu.required) {
          showError({ message: `请回答第 ${q.questions.indexOf(qu) + 1} 题`, field: qu.question_id }, errors);
          return;
        }
        continue;
      }
      answers[qu.question_id] = qu.type === "rating" ? Number(v[qu.question_id]) : v[qu.question_id];
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      await post("/questionnaire/responses", { answers });
      flash("问卷已提交，感谢您的反馈", "success");
      go("certificate");
    }, { errorBox: errors });
  });
  main.append(card(q.title || "问卷", form));
}

// --- certificate -----------------------------------------------------------------------
async function certificatePage(main) {
  main.append(h("h1", {}, "电子结业证书"));
  const [ed, c] = await Promise.all([currentEdition(true), get("/certificates/mine")]);
  const parts = [h("p", { class: "small muted" }, `证书下载时间：${when(ed.windows.certificate.opens)} 至 ${when(ed.windows.certificate.closes)}，逾期不能下载、不补发。`)];
  if (c.certificate_no) parts.push(h("p", {}, "证书编号：", h("strong", { id: "cert-no" }, c.certificate_no), " · ",
    h("a", { href: `verify.html?no=${encodeURIComponent(c.certificate_no)}` }, "查验真伪")));
  if (c.state === "revoked") {
    parts.push(h("p", { class: "alert alert-error" }, "该证书已被撤销。"));
  } else if (c.eligible && c.state !== "expired") {
    const btn = h("button", { type: "button", class: "btn btn-primary", id: "cert-download" }, "下载证书（PDF）");
    btn.addEventListener("click", () => busy(btn, async () => {
      const link = await get("/certificates/mine/download");
      openLink(link.url);
      if (!c.certificate_no) go("certificate");
    }));
    parts.push(h("p", { class: "alert alert-success" }, `您已满足结业条件（${c.hours || ed.certificate_hours} 学时）。`),
      c.download_open === false ? h("p", {}, `证书将于 ${when(ed.windows.certificate.opens)} 开放下载。`) : btn);
  } else {
    const unmet = c.unmet_text || c.unmet || [];
    parts.push(h("p", { class: "alert alert-info" }, c.state === "expired" ? "证书下载期已过，不能下载、不补发。" : "暂不能下载证书，尚未满足："),
      h("ul", { id: "cert-unmet" }, unmet.map((u) => h("li", {}, u))));
  }
  main.append(card("证书", ...parts));
}

// --- help ------------------------------------------------------------------------------
async function helpPage(main) {
  const ed = await currentEdition();
  main.append(h("h1", {}, "联系与帮助"),
    card("联系我们", table(["事项", "联系人", "电话", "邮箱"],
      (ed.contacts || []).map((c) => [c.role, c.name, c.phone ? h("a", { href: `tel:${c.phone}` }, c.phone) : "—", c.email ? h("a", { href: `mailto:${c.email}` }, c.email) : "—"]))),
    card("常见问题",
      h("h3", {}, "怎样报名？"), h("p", {}, "先注册个人账号，在报名期内填写报名表，审核通过后交费。"),
      h("h3", {}, "会员价怎样确定？"), h("p", {}, `已缴纳 ${ed.membership_dues_year} 年度会费、且入会申请在提交报名前已审批通过的个人会员按会员价 ${yuan(ed.fees.member_fen)}，其他 ${yuan(ed.fees.non_member_fen)}。`),
      h("h3", {}, "银行转账怎样填附言？"), h("p", {}, `个人：${ed.bank_account.memo_prefix}+单位名称+姓名；集体：${ed.bank_account.memo_prefix}+单位名称。财务约 ${ed.transfer_review_working_days} 个工作日内核对确认。`),
      h("h3", {}, "可以退费吗？"), h("p", {}, `交费后、课程开始（${when(ed.windows.refund.closes)}）前可申请退费；之后不能申请。`),
      h("h3", {}, "发票"), h("p", {}, `交费后 ${ed.invoice_window_months} 个月内在“订单·退费·发票”中申请电子发票。`),
      h("h3", {}, "证书真伪"), h("p", {}, "用人单位可扫描证书上的二维码，或在", h("a", { href: "verify.html" }, "证书查验"), "页输入证书编号查验。")),
    card("汇款账户", h("dl", { class: "kv" },
      h("dt", {}, "户名"), h("dd", {}, ed.bank_account.account_name),
      h("dt", {}, "开户行"), h("dd", {}, ed.bank_account.bank_name),
      h("dt", {}, "账号"), h("dd", {}, ed.bank_account.account_no),
      h("dt", {}, "行号"), h("dd", {}, ed.bank_account.bank_code))));
}

export const pages = {
  home: { title: "我的报名", roles: ["trainee"], render: homePage },
  pay: { title: "交费", roles: ["trainee"], render: payPage },
  orders: { title: "订单·退费·发票", roles: ["trainee"], render: ordersPage },
  learn: { title: "我的课程", roles: ["trainee"], render: learnPage },
  play: { title: "课程学习", roles: ["trainee"], render: playPage },
  questionnaire: { title: "问卷", roles: ["trainee"], render: questionnairePage },
  certificate: { title: "证书", roles: ["trainee"], render: certificatePage },
  help: { title: "联系与帮助", roles: null, render: helpPage },
};
