// Trainee payment pages: choosing a channel, the pay page (online cashier link, QR, bank
// transfer details), the orders list with refunds; invoices come from invoice.js.
import { ApiError, get, getSession, post } from "./api.js";
import { currentEdition, go } from "./app.js";
import { API_BASE } from "./config.js";
import { invoiceBlock } from "./invoice.js";
import { qrSvg } from "./qr.js";
import {
  appNow, badge, busy, CHANNEL_LABELS, card, clear, copyText, endText, field, flash, formValues, h,
  inWeChat, showError, STATUS_LABELS, table, when, yuan,
} from "./ui.js";

// --- where the page runs ----------------------------------------------------------------
/** "wechat" inside WeChat's browser (JSAPI pay), "phone" in a phone's own browser (Alipay
 * wap pay, WeChat Pay H5: a QR code on the same screen cannot be scanned), else "desktop". */
export function payDevice(ua = navigator.userAgent) {
  if (inWeChat(ua)) return "wechat";
  if ((navigator.userAgentData && navigator.userAgentData.mobile) ||
    /Android|iPhone|iPod|iPad|Mobile|HarmonyOS|OpenHarmony/i.test(ua || "")) return "phone";
  return "desktop";
}

/** POST /orders. Inside WeChat the API may first ask for WeChat's web OAuth
 * (WECHAT_OAUTH_REQUIRED with the authorize_url): the page goes there and comes back with
 * the code (see resumeWechatOAuth). */
async function placeOrder(body) {
  const s = getSession();
  const resp = await fetch(`${API_BASE}/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(s && s.token ? { Authorization: `Bearer ${s.token}` } : {}) },
    body: JSON.stringify(body),
  });
  const data = await resp.json().catch(() => null);
  if (resp.ok) return data;
  if (resp.status === 409 && data && data.Code === "WECHAT_OAUTH_REQUIRED" && data.authorize_url) {
    flash("正在前往微信授权…", "info");
    window.location.assign(data.authorize_url);
    return new Promise(() => {}); // the page is leaving
  }
  throw new ApiError(resp.status, (data && data.Code) || `HTTP_${resp.status}`,
    (data && data.Message) || `请求失败（HTTP ${resp.status}）`, data && data.field);
}

/** Back from WeChat's OAuth (?code=..&state=pay<card><registration id> before the #): place
 * the JSAPI order with the code, once, and take the code out of the address bar. */
async function resumeWechatOAuth(registrationId) {
  const q = new URLSearchParams(window.location.search);
  const code = q.get("code");
  const state = q.get("state") || "";
  if (!code || state.slice(4) !== registrationId || !state.startsWith("pay")) return null;
  history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
  return placeOrder({ registration_id: registrationId, channel: "wechatpay", device: "wechat",
    official_card: state[3] === "1", wechat_code: code });
}

/** WeixinJSBridge.invoke('getBrandWCPayRequest', the order's signed parameters). Outside
 * WeChat's browser the dev stage's order names a simulated bridge to load. */
function wechatBridge(order) {
  return new Promise((resolve, reject) => {
    const ready = () => resolve(window.WeixinJSBridge);
    if (window.WeixinJSBridge) return ready();
    document.addEventListener("WeixinJSBridgeReady", ready, { once: true });
    if (order.bridge_script) {
      const tag = h("script", { src: order.bridge_script });
      tag.onerror = () => reject(new Error("无法加载微信支付组件"));
      document.head.append(tag);
    } else setTimeout(() => window.WeixinJSBridge || reject(new Error("请在微信中打开本页面后支付")), 5000);
    return undefined;
  });
}

function jsapiButton(order) {
  const status = h("p", { class: "small", role: "status" });
  const btn = h("button", { type: "button", class: "btn btn-primary", id: "wechat-jsapi" }, "微信支付");
  btn.addEventListener("click", () => busy(btn, async () => {
    const bridge = await wechatBridge(order);
    const res = await new Promise((resolve) => bridge.invoke("getBrandWCPayRequest", order.jsapi_params, resolve));
    const msg = (res && res.err_msg) || "";
    if (msg.endsWith(":ok")) status.textContent = "已付款，正在确认交费状态…";
    else if (msg.endsWith(":cancel")) status.textContent = "已取消支付，可再次点击“微信支付”。";
    else status.textContent = "支付未完成，请重试或更换交费方式。";
  }));
  return [h("p", {}, btn), status];
}

// --- payment ---------------------------------------------------------------------------
export function bankBlock(ed, order) {
  const bi = order.bank_instructions || {};
  const acct = bi.account_no ? bi : ed.bank_account || {};
  const memo = bi.memo || order.memo || "";
  const due = bi.review_due_at || order.review_due_at;
  return h("div", { class: "bank stack" },
    h("p", {}, "请通过银行转账汇款，", h("strong", {}, "附言必须与下面完全一致"), "，财务据此核对到账："),
    h("dl", { class: "kv" },
      h("dt", {}, "户名"), h("dd", {}, h("span", { class: "account-name", id: "account-name" }, acct.account_name || "—"), copyButton("复制户名", acct.account_name)),
      h("dt", {}, "开户行"), h("dd", {}, acct.bank_name || "—"),
      h("dt", {}, "账号"), h("dd", {}, h("span", { class: "account-no", id: "account-no" }, acct.account_no || "—"), copyButton("复制账号", acct.account_no)),
      h("dt", {}, "行号"), h("dd", {}, acct.bank_code || "—"),
      h("dt", {}, "金额"), h("dd", {}, yuan(order.amount_fen)),
      h("dt", {}, "附言"), h("dd", {}, h("span", { class: "memo", id: "memo" }, memo), copyButton("复制附言", memo))),
    due ? h("p", { class: "alert alert-info" }, `财务人工核对转账（约 ${ed.transfer_review_working_days || 5} 个工作日），预计在 ${endText(due, { year: false })} 前完成确认。`) :
      h("p", { class: "alert alert-info" }, `财务人工核对转账，约 ${ed.transfer_review_working_days || 5} 个工作日。`),
    h("p", { class: "small muted" }, `如有疑问请联系财务 ${bi.finance_email || ed.finance_email || ""}（010-88545091）。`));
}

/** A copy button whose visible text is its name ("复制账号"), with its own 已复制 note. */
function copyButton(label, text) {
  if (!text) return null;
  const btn = h("button", { type: "button", class: "btn btn-small copy" }, label);
  const note = h("span", { class: "small copied", role: "status" });
  btn.addEventListener("click", async () => {
    note.textContent = (await copyText(text)) ? "已复制" : "复制失败，请手动选择";
  });
  return h("span", { class: "copy-wrap" }, " ", btn, " ", note);
}

/** 我已汇款: after sending the money, the trainee records the day and amount for finance
 * (it pays nothing; finance confirms against the bank statement). Once recorded, the form
 * gives way to what was recorded and the change-channel form goes away. */
function claimStep(ed, order) {
  const box = h("div", { class: "claim stack", id: "transfer-claim" });
  const shown = (claim) => {
    clear(box).append(h("p", { class: "alert alert-success", role: "status", id: "claim-recorded" },
      `已登记汇款：${claim.paid_on.replace(/^(\d{4})-0?(\d+)-0?(\d+)$/, "$1年$2月$3日")}，${yuan(claim.amount_fen)}。`,
      order.review_due_at ? `财务核对到账后即确认交费（预计在 ${endText(order.review_due_at, { year: false })} 前）。` : "财务核对到账后即确认交费。",
      "请勿再用其他方式重复交费。"));
    document.querySelectorAll("[data-change-channel]").forEach((el) => { el.hidden = true; });
  };
  if (order.transfer_claim) {
    shown(order.transfer_claim);
    return box;
  }
  const errors = h("div", { class: "form-errors" });
  const today = new Date(appNow() + 8 * 3600 * 1000).toISOString().slice(0, 10); // Beijing date
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "我已汇款" },
    h("h3", {}, "我已汇款"),
    h("p", { class: "small muted" }, "汇款后请登记汇款日期与金额，便于财务核对；登记后请勿再更换交费方式。"),
    errors,
    field("汇款日期", "paid_on", { required: true, value: today, attrs: { type: "date", max: today } }),
    field("汇款金额（元）", "amount", { required: true, value: (order.amount_fen / 100).toFixed(2),
      attrs: { inputmode: "decimal", autocomplete: "off" } }),
    h("button", { type: "submit", class: "btn btn-primary" }, "我已汇款"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    const fen = Math.round(Number(String(v.amount || "").replace(/[,，￥¥\s]/g, "")) * 100);
    if (!v.paid_on) {
      showError({ message: "请填写汇款日期", field: "paid_on" }, errors);
      return;
    }
    if (!(fen > 0)) {
      showError({ message: "请填写汇款金额（元），例如 490.00", field: "amount" }, errors);
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      const updated = await post(`/orders/${encodeURIComponent(order.order_id)}/transfer-claim`, { paid_on: v.paid_on, amount_fen: fen });
      shown(updated.transfer_claim);
      box.querySelector("[role=status]")?.focus?.();
    }, { errorBox: errors });
  });
  box.append(form);
  return box;
}

function orderInstructions(ed, order) {
  const parts = [h("dl", { class: "kv" },
    h("dt", {}, "订单号"), h("dd", {}, order.order_id),
    h("dt", {}, "金额"), h("dd", {}, yuan(order.amount_fen)),
    h("dt", {}, "方式"), h("dd", {}, CHANNEL_LABELS[order.channel] || order.channel),
    h("dt", {}, "状态"), h("dd", {}, badge(order.status)))];
  if (order.status === "open") {
    const here = order.product === "alipay_wap" || order.product === "wechat_h5"; // same tab on a phone
    if (order.pay_url) {
      const attrs = here ? {} : { target: "_blank", rel: "noopener" };
      parts.push(h("p", {}, h("a", { class: "btn btn-primary", href: order.pay_url, id: "pay-link", ...attrs }, "前往支付宝付款")),
        h("p", { class: "small muted" }, here ? "将打开支付宝手机收银台，付款后自动回到本平台。" : "收银台在新页面打开；付款完成后本页会自动更新交费状态。"));
      if (inWeChat()) {
        parts.push(h("p", { class: "alert alert-info wechat-hint", role: "note" },
          "微信内不能打开支付宝：请点右上角「…」选择「在浏览器打开」后付款，或改用微信支付。"));
      }
    } else if (order.h5_url) {
      parts.push(h("p", {}, h("a", { class: "btn btn-primary", href: order.h5_url, id: "pay-link" }, "前往微信支付")),
        h("p", { class: "small muted" }, "将打开微信支付，付款后回到本平台查看交费状态。"));
    } else if (order.jsapi_params) {
      parts.push(...jsapiButton(order));
    } else if (order.code_url) {
      const svg = qrSvg(order.code_url, { label: "微信支付二维码" });
      parts.push(h("div", { class: "qr-box", id: "wechat-qr" }), h("p", { class: "small", style: "text-align:center" }, "请使用微信“扫一扫”扫描二维码付款"));
      parts[parts.length - 2].innerHTML = svg;
    } else if (order.channel === "bank_transfer" || order.bank_instructions) {
      parts.push(bankBlock(ed, order));
      if (order.kind !== "group") parts.push(claimStep(ed, order));
    }
  }
  const box = h("div", { class: "order stack", dataset: { orderId: order.order_id } }, ...parts);
  if (order.status === "open" && (order.pay_url || order.code_url || order.h5_url || order.jsapi_params) &&
    order.kind !== "group") watchPaid(order, box);
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
  let open = (orders.orders || []).find((o) => o.status === "open" && (o.registration_id === registrationId || (o.registration_ids || []).includes(registrationId)));
  try {
    open = (await resumeWechatOAuth(registrationId)) || open;
  } catch (err) {
    showError(err);
  }
  if (open && open.kind === "group") {
    main.append(card("单位集体交费中", summary, h("p", { class: "alert alert-info", id: "in-group" },
      `本报名已在“${open.unit_name || "本单位"}”的集体订单 ${open.order_id} 中，由单位统一汇款；本人费用 ${yuan(reg.fee_fen)}`,
      `（集体订单共 ${(open.registration_ids || []).length} 人，合计 ${yuan(open.amount_fen)}）。如需个人交费，请联系单位将您移出该订单。`),
    h("div", { class: "toolbar" }, refresh)));
    return;
  }
  if (open) {
    const change = card("更换交费方式", h("p", { class: "small muted" }, "选择其他方式会先取消上面的订单；已付款请勿更换。"), channelForm(ed, reg, open));
    change.dataset.changeChannel = "";
    change.hidden = !!open.transfer_claim; // 我已汇款: changing now would invite paying twice
    main.append(card("待支付订单", summary, orderInstructions(ed, open), h("div", { class: "toolbar" }, refresh)), change);
    return;
  }
  main.append(card("选择交费方式", summary, channelForm(ed, reg)));
}

function channelForm(ed, reg, openOrder = null) {
  const errors = h("div", { class: "form-errors" });
  // Nothing is chosen in advance (a pre-set channel invites paying twice); 公务卡 is a card
  // payment, so it is offered only for the online channels.
  const option = (value, label, hint) => h("label", {},
    h("input", { type: "radio", name: "channel", value, required: true }), ` ${label}`,
    hint ? h("span", { class: "small muted" }, `（${hint}）`) : null);
  const cardBox = h("label", { class: "official-card", hidden: true }, h("input", { type: "checkbox", name: "official_card" }),
    " 使用公务卡支付（需要公务卡报销凭证）");
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    h("fieldset", { class: "choice" }, h("legend", {}, "交费方式"),
      option("alipay", "支付宝", "推荐，实时到账"),
      option("wechatpay", "微信支付", payDevice() === "desktop" ? "扫码付款，实时到账" : "在手机上直接付款，实时到账"),
      option("bank_transfer", "银行转账", `财务人工核对，约 ${ed.transfer_review_working_days || 5} 个工作日`)),
    cardBox,
    h("button", { type: "submit", class: "btn btn-primary" }, "确认交费方式"));
  form.addEventListener("change", () => {
    const v = formValues(form);
    const online = v.channel === "alipay" || v.channel === "wechatpay";
    cardBox.hidden = !online;
    if (!online) cardBox.querySelector("input").checked = false;
  });
  const result = h("div", { class: "pay-result" });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!v.channel) {
      showError({ message: "请选择交费方式", field: "channel" }, errors);
      return;
    }
    const online = v.channel === "alipay" || v.channel === "wechatpay";
    busy(form.querySelector("button[type=submit]"), async () => {
      if (openOrder) {
        await post(`/orders/${encodeURIComponent(openOrder.order_id)}/cancel`);
        document.querySelector(`.order[data-order-id="${CSS.escape(openOrder.order_id)}"]`)?.closest(".card")?.remove();
        openOrder = null;
      }
      const order = await placeOrder({ registration_id: reg.registration_id, channel: v.channel,
        official_card: online && !!v.official_card, device: payDevice() });
      clear(errors);
      // done: the choice is made (to change it, the page offers 更换交费方式 again)
      form.querySelectorAll("input, button").forEach((el) => { el.disabled = true; });
      form.hidden = true;
      clear(result).append(h("p", { class: "alert alert-success", role: "status" },
        `已选择${CHANNEL_LABELS[order.channel] || ""}${order.official_card ? "（公务卡）" : ""}，请按下面的说明交费。`),
      orderInstructions(ed, order));
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
  const [ed, data, mine] = await Promise.all([currentEdition(true), get("/orders/mine"), get("/registrations/mine")]);
  const regs = mine.registrations || [];
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
  orders.forEach((o, i) => {
    // a group order: the trainee's own seat in it (their fee, their refunds)
    const reg = regs.find((r) => (o.registration_ids || []).includes(r.registration_id));
    const refunds = (details[i].refunds || []).filter((r) => o.kind !== "group" || !r.registration_id || !reg || r.registration_id === reg.registration_id);
    main.append(orderCard(ed, o, invoices.filter((x) => x.order_id === o.order_id), refunds, reg));
  });
}

function orderCard(ed, o, invoices, refunds, reg = null) {
  const group = o.kind === "group";
  const share = group && reg ? reg.fee_fen : o.amount_fen;
  const body = [h("dl", { class: "kv" },
    h("dt", {}, "订单号"), h("dd", {}, o.order_id),
    h("dt", {}, "方式"), h("dd", {}, group ? `单位集体交费（${o.unit_name || ""}）` : CHANNEL_LABELS[o.channel] || o.channel || "—"),
    h("dt", {}, group ? "本人费用" : "金额"), h("dd", { class: "own-amount" }, yuan(share)),
    group ? [h("dt", {}, "集体订单"), h("dd", { class: "small muted" }, `共 ${(o.registration_ids || []).length} 人，合计 ${yuan(o.amount_fen)}（由单位统一汇款）`)] : null,
    h("dt", {}, "状态"), h("dd", {}, badge(o.status)),
    h("dt", {}, "创建"), h("dd", {}, when(o.created_at)),
    o.paid_at ? [h("dt", {}, "交费时间"), h("dd", {}, when(o.paid_at))] : null,
    o.official_card ? [h("dt", {}, "公务卡"), h("dd", {}, "是")] : null)];
  if (o.status === "open" && o.kind !== "group") body.push(orderInstructions(ed, o));
  if (refunds.length) {
    body.push(h("h3", {}, "退费"), table(["退费号", "金额", "状态", "时间"],
      refunds.map((r) => [r.refund_id, yuan(r.amount_fen), badge(r.status), when(r.requested_at)])));
  }
  const ownRefund = refunds.some((r) => r.kind === "request" && r.status !== "failed");
  const seatPaid = !group || (reg && reg.payment_status === "paid");
  if (o.status === "paid" && seatPaid && !ownRefund) body.push(refundBlock(ed, o, { amount: share, group, invoices }));
  if (group && o.status === "open") {
    body.push(h("p", { class: "small muted" }, "单位汇款并经财务确认后，本人即为已交费。如需退出集体订单改为个人交费，请在“交费”页操作或联系单位。"));
  }
  if (group && o.status === "paid") body.push(h("p", { class: "small muted" }, `本报名由单位集体交费（${o.unit_name || ""}），发票由单位申请。`));
  else if (o.status === "paid" || o.status === "refunded" || o.status === "refunding") body.push(invoiceBlock(ed, o, invoices));
  if (o.status === "closed" && o.close_reason) body.push(h("p", { class: "small muted" }, `关闭原因：${CLOSE_REASONS[o.close_reason] || o.close_reason}`));
  return card(`订单 ${o.order_id}`, ...body);
}

const CLOSE_REASONS = { cancelled: "已取消（更换交费方式或主动取消）", payment_window_closed: "交费期已结束" };

function refundBlock(ed, o, { amount = o.amount_fen, group = false, invoices = [] } = {}) {
  const w = ed.windows.refund;
  const box = h("div", { class: "refund stack" }, h("h3", {}, "申请退费"));
  if (!w.open_now || appNow() >= new Date(w.closes).getTime()) {
    box.append(h("p", { class: "alert alert-info refund-closed" },
      `退费申请已于 ${endText(w.closes)} 截止（课程开始后不能申请退费）。未审核通过的报名所交费用会原路自动退回。`));
    return box;
  }
  const route = group ? "退回单位的汇款账户（由财务办理）" : o.channel === "bank_transfer" ? "由财务转回您的汇款账户" : `按原路退回${CHANNEL_LABELS[o.channel] || ""}`;
  const errors = h("div", { class: "form-errors" });
  const status = h("div", { class: "refund-status", role: "status" });
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "申请退费" },
    errors,
    group ? h("p", { class: "small" }, `本人费用 ${yuan(amount)} 由单位集体交纳：退费只退本人的一份，${route}；如需整单退费请单位联系财务。`) : null,
    field("退费原因", "reason", { kind: "textarea", required: true }),
    h("p", { class: "small muted" }, `可在 ${endText(w.closes)} 前申请，${route}。`),
    h("button", { type: "submit", class: "btn btn-danger" }, "提交退费申请"));
  const issued = invoices.filter((x) => x.status === "issued" || x.status === "issuing" || x.status === "requested");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = formValues(form).reason || "";
    if (!reason) {
      showError({ message: "请填写退费原因", field: "reason" }, errors);
      return;
    }
    clear(errors);
    confirmRefund({ amount, route, issued, group }).then((ok) => {
      if (!ok) return;
      busy(form.querySelector("button[type=submit]"), async () => {
        const r = await post("/refunds", { order_id: o.order_id, reason });
        const text = `退费申请已提交（${STATUS_LABELS[r.status] || r.status}）`;
        form.querySelectorAll("textarea, input, button").forEach((el) => { el.disabled = true; });
        form.hidden = true;
        clear(status).append(h("p", { class: "alert alert-success" }, text, `。${yuan(r.amount_fen ?? amount)} 将${route}，在线学习权限已停止。`));
        flash(text, "success");
      }, { errorBox: errors });
    });
  });
  box.append(form, status);
  return box;
}

/** The refund says what will happen and asks once more: a modal dialog with the amount,
 * that learning ends, the invoice reversal, and an explicit 确认退费 (Esc / 取消 keeps it). */
function confirmRefund({ amount, route, issued, group }) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: "btn btn-danger", value: "yes" }, "确认退费");
    const no = h("button", { type: "button", class: "btn", value: "no" }, "取消");
    const dialog = h("dialog", { class: "confirm-refund", "aria-labelledby": "refund-q" },
      h("h2", { id: "refund-q" }, "确认申请退费？"),
      h("ul", {},
        h("li", {}, `退费金额 ${yuan(amount)}，${route}。`),
        h("li", {}, "提交后本人的在线学习权限立即停止，不能再学习和获得结业证书。"),
        issued.length ? h("li", {}, `已申请或开具的电子发票（${issued.length} 张）将通过税务平台红冲作废。`)
          : h("li", {}, group ? "单位已开具的发票由单位与财务联系处理。" : "本订单尚未开具电子发票。"),
        h("li", {}, "退费申请提交后不能撤回。")),
      h("div", { class: "toolbar" }, yes, no));
    const done = (ok) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** End of the same Beijing calendar day `months` later, clamped to the month's last day
 * (01-31 + 1 month -> 02-28/29), as the instant the invoice window closes. */

export const pages = {
  pay: { title: "交费", roles: ["trainee"], render: payPage },
  orders: { title: "订单·退费·发票", roles: ["trainee"], render: ordersPage },
};
