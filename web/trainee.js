// Trainee pages: registration and calendar, the questionnaire, the certificate; and
// contacts/help (public). Payment is pay.js, invoices invoice.js, courses learn.js.
import { get, post } from "./api.js";
import { currentEdition, go } from "./app.js";
import {
  appNow, badge, busy, card, dayText, downloadHint, endText, field, flash, formValues, h,
  openLink, rangeText, showError, span, STATUS_LABELS, table, untilText, validateForm, yuan,
} from "./ui.js";
import { unitChoiceField, unitLinkBlock } from "./unit_link.js";

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
    const range = w.opens ? rangeText(w.opens, w.closes) : `${key === "payment" ? "审核通过后" : "交费后"}${untilText(w.closes)}`;
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
      h("dt", {}, "手机"), h("dd", {}, me.phone || "—", " ", !me.phone ? null : me.phone_verified
        ? h("span", { class: "badge badge-confirmed" }, "已验证")
        : h("a", { href: "#/verify-phone", class: "btn btn-small" }, "验证手机")),
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
    ["提交时间", dayText(reg.submitted_at, { time: true })],
  ];
  const actions = h("div", { class: "toolbar" });
  if (reg.status === "approved" && reg.payment_status === "unpaid") {
    actions.append(h("a", { class: "btn btn-primary", href: `#/pay/${reg.registration_id}` }, "去交费"));
  }
  if (reg.payment_status === "paid") {
    actions.append(h("a", { class: "btn btn-primary", href: "#/learn" }, "进入在线学习"),
      h("a", { class: "btn", href: "#/orders" }, "个人中心—订单发票"));
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
      `报名成功。请在 ${endText(ed.windows.payment.closes)} 前交费。`) : null,
    reg.status === "rejected" ? h("div", { class: "alert alert-error", role: "note" },
      h("strong", {}, "报名未通过审核。"), " 原因：", h("span", { class: "reject-reason" }, reg.reject_reason || "（未填写）")) : null,
    actions, unitLinkBlock(reg));
}

function registrationForm(me, ed) {
  const errors = h("div", { class: "form-errors" });
  const choice = h("div", {}); // the optional unit account choice (unit_link.js), mounted below
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "报名表" },
    errors,
    // Labels = the server's names for these fields (FIELD_LABELS), so both speak alike
    field("姓名", "name", { required: true, value: me.name, attrs: { autocomplete: "name", maxlength: 100 } }),
    field("单位名称", "unit_name", { required: true, value: me.unit_name, hint: "请填写单位全称；集体交费时须与单位账号的单位名称一致", attrs: { maxlength: 100 } }),
    choice,
    field("职务", "job_title", { required: true, hint: "职务或职称，例如：馆员、部门主任", attrs: { maxlength: 100 } }),
    field("地区", "region", { required: true, hint: "所在省市，例如：北京、广东省广州市", attrs: { maxlength: 100 } }),
    field("手机号", "phone", { kind: "tel", value: me.phone, attrs: { autocomplete: "tel", inputmode: "tel", maxlength: 20 } }),
    field("邮箱", "email", { kind: "email", value: me.email, attrs: { autocomplete: "email", maxlength: 254 } }),
    h("p", { class: "small muted" }, `费用：会员 ${yuan(ed.fees.member_fen)}，非会员 ${yuan(ed.fees.non_member_fen)}，按提交时的会员资格确定。`),
    h("button", { type: "submit", class: "btn btn-primary" }, "提交报名"));
  choice.replaceWith(unitChoiceField(form));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!validateForm(form, errors)) return;
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
      parts.push(h("p", { class: "alert alert-info" }, `报名时间：${rangeText(ed.windows.registration.opens, ed.windows.registration.closes)}（北京时间），当前不在报名期内。`));
    }
    regCard = card("我的报名", ...parts);
  }
  main.append(h("h1", {}, `您好，${me.name || me.email}`), regCard, h("div", { class: "cols" }, calendarCard(ed), profileCard(me)));
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
    courses_incomplete: "全部课程学习完后才能填写问卷", window_closed: `问卷填写时间：${rangeText(q.opens, q.closes)}`,
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
  const win = c.window || ed.windows.certificate;
  const closed = appNow() >= new Date(win.closes).getTime();
  const parts = [h("p", { class: "small muted" }, `证书下载时间：${rangeText(win.opens, win.closes)}（北京时间），逾期不能下载、不补发。`)];
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
      c.download_open === false
        ? h("p", { class: closed ? "alert alert-info" : "", id: "cert-window" }, closed
          ? `证书下载期已于 ${endText(win.closes)} 结束，不能再下载、不补发。${c.certificate_no ? "已下载的证书仍可凭编号查验。" : ""}`
          : `证书将于 ${dayText(win.opens)} 开放下载。`)
        : [btn, downloadHint()]);
  } else {
    const unmet = c.unmet_text || c.unmet || [];
    parts.push(h("p", { class: "alert alert-info", id: "cert-window" }, c.state === "expired" ? `证书下载期已于 ${endText(win.closes)} 结束，不能下载、不补发。` : "暂不能下载证书，尚未满足："),
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
      h("h3", {}, "可以退费吗？"), h("p", {}, `交费后至 ${endText(ed.windows.refund.closes)}（${dayText(ed.windows.learning.opens, { year: false })}开课前）可申请退费；开课后不再接受退费申请。`),
      h("h3", {}, "发票"), h("p", {}, `交费后 ${ed.invoice_window_months} 个月内在“个人中心—订单发票”中申请并下载电子发票。`),
      h("h3", {}, "证书真伪"), h("p", {}, "用人单位可扫描证书上的二维码，或在", h("a", { href: "verify.html" }, "证书查验"), "页输入证书编号查验。")),
    card("汇款账户", h("dl", { class: "kv" },
      h("dt", {}, "户名"), h("dd", {}, ed.bank_account.account_name),
      h("dt", {}, "开户行"), h("dd", {}, ed.bank_account.bank_name),
      h("dt", {}, "账号"), h("dd", {}, ed.bank_account.account_no),
      h("dt", {}, "行号"), h("dd", {}, ed.bank_account.bank_code))));
}

export const pages = {
  home: { title: "我的报名", roles: ["trainee"], render: homePage },
  questionnaire: { title: "问卷", roles: ["trainee"], render: questionnairePage },
  certificate: { title: "证书", roles: ["trainee"], render: certificatePage },
  help: { title: "联系与帮助", roles: null, render: helpPage },
};
