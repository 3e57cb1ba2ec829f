// Unit pages: the account's verification (pending until staff check the credit code and the
// 单位介绍信/授权书: its status, the letter upload), then the group order builder (pick
// approved, unpaid staff who linked their registration to the unit; see the total and the
// memo), invitations, the remittance voucher and member-list upload, orders and invoices.
import { get, post } from "./api.js";
import { currentEdition, go } from "./app.js";
import { invoiceBlock } from "./invoice.js";
import { bankBlock } from "./pay.js";
import { badge, busy, card, clear, field, flash, formValues, h, progress, showError, table, when, yuan } from "./ui.js";

const UPLOAD_ACCEPT = {
  voucher: ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf",
  member_list: ".xlsx,.csv,.pdf",
};

function fileType(file) {
  const name = (file.name || "").toLowerCase();
  if (name.endsWith(".csv")) return "text/csv";
  if (name.endsWith(".xlsx")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (name.endsWith(".pdf")) return "application/pdf";
  if (name.endsWith(".png")) return "image/png";
  if (name.endsWith(".jpg") || name.endsWith(".jpeg")) return "image/jpeg";
  return file.type || "application/octet-stream";
}

/** Ask the API for a presigned form, then post the file straight to storage, with progress. */
function uploadTo(orderId, kind, file, onProgress) {
  return post(`/unit/group-orders/${encodeURIComponent(orderId)}/uploads`, { kind, content_type: fileType(file), size_bytes: file.size })
    .then((form) => sendForm(form, file, onProgress));
}

/** Post `file` with the presigned form's fields straight to storage, with progress. */
function sendForm(form, file, onProgress) {
  return new Promise((resolve, reject) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(form.fields || {})) data.append(k, v);
      data.append("file", file);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.url);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(Object.assign(new Error("上传失败，请检查网络后重试"), { status: 0 }));
      xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve(form) : reject(Object.assign(new Error(`上传失败（HTTP ${xhr.status}）`), { status: xhr.status })));
      xhr.send(data);
    });
}

function uploadForm(order) {
  const box = h("div", { class: "stack uploads" }, h("h3", {}, "汇款凭证与学员名单"));
  for (const [kind, label, done] of [["voucher", "汇款凭证（JPG/PNG/PDF）", order.voucher_uploaded], ["member_list", "学员名单（XLSX/CSV/PDF）", order.member_list_uploaded]]) {
    const id = `up-${kind}-${order.order_id}`;
    const input = h("input", { type: "file", id, name: kind, accept: UPLOAD_ACCEPT[kind] });
    const bar = h("div", {});
    const state = h("span", { class: "small", role: "status" }, done ? "已上传" : "未上传");
    const btn = h("button", { type: "button", class: "btn btn-small" }, `上传${label.split("（")[0]}`);
    btn.addEventListener("click", () => {
      const f = input.files[0];
      if (!f) {
        showError({ message: `请选择${label}`, field: kind });
        return;
      }
      busy(btn, async () => {
        await uploadTo(order.order_id, kind, f, (x) => clear(bar).append(progress(x, 1, `${label}上传进度`)));
        state.textContent = "已上传";
        flash(`${label.split("（")[0]}已上传`, "success");
      });
    });
    box.append(h("div", { class: "field" }, h("label", { for: id }, label), input, h("div", { class: "row" }, btn, state), bar));
  }
  return box;
}

// --- the account's verification ------------------------------------------------------------
const LETTER_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";
const LETTER_TYPES = ["application/pdf", "image/jpeg", "image/png"];
const LETTER_MAX = 10 * 1024 * 1024;

function letterForm(account) {
  const id = "unit-letter";
  const input = h("input", { type: "file", id, name: "letter", accept: LETTER_ACCEPT });
  const bar = h("div", {});
  const errors = h("div", { class: "form-errors" });
  const state = h("span", { class: "small", role: "status" },
    account.letter_uploaded ? `已上传（${when(account.letter_at)}）` : "未上传");
  const btn = h("button", { type: "button", class: "btn btn-primary" }, account.letter_uploaded ? "重新上传" : "上传授权书");
  btn.addEventListener("click", () => {
    const f = input.files[0];
    const type = f ? fileType(f) : "";
    if (!f) return showError({ message: "请选择单位介绍信或授权书文件", field: "letter" }, errors);
    if (!LETTER_TYPES.includes(type)) return showError({ message: "文件须为 PDF、JPG 或 PNG", field: "letter" }, errors);
    if (f.size > LETTER_MAX || f.size === 0) return showError({ message: "文件大小须在 10 MB 以内", field: "letter" }, errors);
    busy(btn, async () => {
      const form = await post("/unit/account/letter", { content_type: type, size_bytes: f.size });
      await sendForm(form, f, (x) => clear(bar).append(progress(x, 1, "授权书上传进度")));
      flash("授权书已上传，请等待平台审核", "success");
      go("unit");
    }, { errorBox: errors });
  });
  return h("div", { class: "stack" }, errors,
    h("div", { class: "field" }, h("label", { for: id }, "单位介绍信或授权书（PDF、JPG 或 PNG，10 MB 以内，须加盖单位公章）"), input,
      h("div", { class: "row" }, btn, state), bar));
}

/** The unit's verification status; the page stops here until staff approved it. */
function accountCard(account) {
  return card("单位认证", h("dl", { class: "kv" },
    h("dt", {}, "单位名称"), h("dd", {}, account.unit_name),
    h("dt", {}, "统一社会信用代码"), h("dd", {}, account.credit_code),
    h("dt", {}, "认证状态"), h("dd", {}, badge(account.status, "unit.status"))),
  h("p", { class: `alert ${account.status === "rejected" ? "alert-error" : "alert-info"}`, role: "status" }, account.explanation),
  account.reject_reason ? h("p", {}, h("strong", {}, "未通过原因："), account.reject_reason) : null,
  account.status === "verified" ? null : letterForm(account));
}

/** The verified account, or null after rendering the status page (pending or rejected). */
export async function verifiedAccount(main, title) {
  const account = await get("/unit/account");
  if (account.status === "verified") return account;
  main.append(h("h1", {}, title), accountCard(account));
  return null;
}

function inviteForm() {
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true }, errors,
    field("学员邮箱（每行一个）", "emails", { kind: "textarea", required: true,
      hint: "学员会收到邀请邮件，登录后在“我的报名”中接受，其报名才会出现在本页。" }),
    h("button", { type: "submit", class: "btn" }, "发送邀请"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const emails = (formValues(form).emails || "").split(/[\s,，;；]+/).filter(Boolean);
    if (!emails.length) return showError({ message: "请至少填写一个邮箱", field: "emails" }, errors);
    busy(form.querySelector("button[type=submit]"), async () => {
      const r = await post("/unit/invitations", { emails });
      form.reset();
      flash(`已发送 ${r.invited} 份邀请`, "success");
    }, { errorBox: errors });
  });
  return form;
}

async function builderPage(main) {
  if (!(await verifiedAccount(main, "集体交费"))) return;
  const [ed, data, orders] = await Promise.all([currentEdition(true), get("/unit/registrations"), get("/orders/mine")]);
  main.append(h("h1", {}, "集体交费"));
  const memo = `${ed.bank_account.memo_prefix}+${data.unit_name}`;
  const chosen = new Set();
  const regs = data.registrations;
  const total = h("strong", { id: "group-total" }, yuan(0));
  const count = h("span", { id: "group-count" }, "0");
  const extra = field("其他学员（报名编号或邮箱，每行一个）", "extra", { kind: "textarea", hint: `须以“${data.unit_name}”报名并已关联本单位，且已审核通过、未交费。` });
  const update = () => {
    total.textContent = yuan(regs.filter((r) => chosen.has(r.registration_id)).reduce((s, r) => s + r.fee_fen, 0));
    count.textContent = String(chosen.size);
  };
  const rows = regs.map((r) => {
    const box = h("input", { type: "checkbox", "aria-label": `选择 ${r.name}`, disabled: !r.payable });
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(r.registration_id);
      else chosen.delete(r.registration_id);
      update();
    });
    return [box, r.name, r.email || "", r.job_title || "", yuan(r.fee_fen), r.payable ? badge("approved") : h("span", { class: "small muted" }, r.problem_text || r.status)];
  });
  const errors = h("div", { class: "form-errors" });
  const result = h("div", { id: "group-result" });
  const form = h("form", { class: "stack" }, errors,
    regs.length ? table(["选择", "姓名", "邮箱", "职务", "费用", "状态"], rows, `已关联本单位的学员`) : h("p", { class: "muted" }, "还没有学员关联本单位：学员在报名时选择本单位，或接受本单位的邀请后，会出现在这里。"),
    extra,
    h("p", {}, "已选 ", count, " 人，合计 ", total, "（另列学员的费用以生成的订单为准）。汇款附言：", h("span", { class: "memo" }, memo)),
    h("button", { type: "submit", class: "btn btn-primary" }, "生成集体订单"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const more = (formValues(form).extra || "").split(/[\s,，;；]+/).filter(Boolean);
    const members = [...chosen, ...more];
    if (!members.length) {
      showError({ message: "请至少选择一名学员" }, errors);
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      const order = await post("/unit/group-orders", { members });
      clear(result).append(card("集体订单已生成", groupOrderView(ed, order, regs)));
      result.scrollIntoView({ block: "start" });
      flash(`集体订单 ${order.order_id} 已生成：${order.registration_ids.length} 人，${yuan(order.amount_fen)}`, "success");
    }, { errorBox: errors });
  });
  main.append(card("选择学员", form), result, card("邀请学员关联本单位", inviteForm()));
  const open = (orders.orders || []).filter((o) => o.kind === "group" && o.status === "open");
  for (const o of open) main.append(card(`待汇款的集体订单 ${o.order_id}`, groupOrderView(ed, o, regs)));
}

function groupOrderView(ed, order, regs) {
  const names = Object.fromEntries(regs.map((r) => [r.registration_id, r]));
  const members = h("div", {}, table(["学员", "报名编号", "操作"], order.registration_ids.map((id) => {
    const r = names[id];
    const rel = h("button", { type: "button", class: "btn btn-small btn-danger", "aria-label": `移出 ${r ? r.name : id}` }, "移出");
    rel.addEventListener("click", () => busy(rel, async () => {
      await post(`/unit/group-orders/${encodeURIComponent(order.order_id)}/release`, { registration_id: id });
      flash(`已将 ${r ? r.name : id} 移出订单`, "success");
      go("unit");
    }));
    return [r ? r.name : "—", id, order.status === "open" ? rel : ""];
  }), "订单中的学员"));
  return h("div", { class: "stack group-order", dataset: { orderId: order.order_id } },
    h("dl", { class: "kv" },
      h("dt", {}, "订单号"), h("dd", {}, order.order_id),
      h("dt", {}, "人数"), h("dd", {}, String(order.registration_ids.length)),
      h("dt", {}, "金额"), h("dd", {}, yuan(order.amount_fen)),
      h("dt", {}, "状态"), h("dd", {}, badge(order.status))),
    members,
    order.status === "open" ? bankBlock(ed, order) : null,
    order.status === "open" ? uploadForm(order) : null,
    order.status === "open" ? h("p", { class: "small muted" }, `通知要求将学员名单和汇款凭证发送至财务邮箱 ${ed.finance_email}；在此上传即可，财务可直接查看。`) : null);
}

async function unitOrdersPage(main) {
  if (!(await verifiedAccount(main, "单位订单·发票"))) return;
  const [ed, data, inv, regs] = await Promise.all([currentEdition(true), get("/orders/mine"), get("/invoices/mine"), get("/unit/registrations")]);
  main.append(h("h1", {}, "单位订单·发票"));
  const orders = data.orders || [];
  if (!orders.length) {
    main.append(card("还没有订单", h("p", {}, h("a", { href: "#/unit" }, "去生成集体订单"))));
    return;
  }
  for (const o of orders) {
    const body = [h("dl", { class: "kv" },
      h("dt", {}, "订单号"), h("dd", {}, o.order_id),
      h("dt", {}, "人数"), h("dd", {}, String((o.registration_ids || []).length)),
      h("dt", {}, "金额"), h("dd", {}, yuan(o.amount_fen)),
      h("dt", {}, "状态"), h("dd", {}, badge(o.status)),
      h("dt", {}, "创建"), h("dd", {}, when(o.created_at)),
      o.paid_at ? [h("dt", {}, "到账确认"), h("dd", {}, when(o.paid_at))] : null)];
    if (o.status === "open") body.push(h("p", {}, h("a", { href: "#/unit" }, "查看汇款信息、上传凭证")));
    if (o.status === "paid") body.push(invoiceBlock(ed, o, (inv.invoices || []).filter((i) => i.order_id === o.order_id), { unit: { unit_name: regs.unit_name, credit_code: regs.credit_code } }));
    main.append(card(`集体订单 ${o.order_id}`, ...body));
  }
}

export const pages = {
  unit: { title: "集体交费", roles: ["unit"], render: builderPage },
  "unit-orders": { title: "单位订单·发票", roles: ["unit"], render: unitOrdersPage },
};
