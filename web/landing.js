// The public landing page (#/ for anyone not signed in): the notice's substance — what the
// training is, its courses with hours, the schedule, the fees, the steps and the contacts —
// built from GET /editions/current, with one clear 参加培训 action. `landingView(edition)`
// also serves the admin's preview of an edition being edited.
import { getSession } from "./api.js";
import { currentEdition } from "./app.js";
import { appNow, card, dayText, endText, h, rangeText, table, untilDay, yuan } from "./ui.js";

const SCHEDULE = [
  ["registration", "培训报名"],
  ["learning", "在线学习"],
  ["questionnaire", "问卷填写"],
  ["certificate", "证书下载"],
];

function registrationState(ed, now) {
  const w = ed.windows.registration;
  const opens = new Date(w.opens).getTime();
  const closes = new Date(w.closes).getTime();
  if (now < opens) return { state: "soon", text: `报名将于 ${dayText(w.opens)} 开始` };
  if (now < closes) return { state: "open", text: `正在报名，${endText(w.closes, { year: false })} 截止` };
  return { state: "over", text: `本届报名已于 ${endText(w.closes)} 截止` };
}

/** The landing page's content for an edition (the public view's fields). */
export function landingView(ed, { now = appNow(), signedIn = false } = {}) {
  const w = ed.windows;
  const reg = registrationState(ed, now);
  const totalHours = ed.total_hours ?? (ed.courses || []).reduce((a, c) => a + (c.hours || 0), 0);
  const action = signedIn
    ? h("a", { class: "btn btn-primary", href: "#/home", id: "join" }, reg.state === "open" ? "参加培训（去报名）" : "进入我的培训")
    : h("a", { class: "btn btn-primary", href: reg.state === "over" ? "#/login" : "#/signup", id: "join" },
      reg.state === "over" ? "登录查看我的培训" : "参加培训（注册报名）");
  const hero = h("section", { class: "hero", "aria-labelledby": "landing-title" },
    h("h1", { id: "landing-title" }, ed.title),
    h("p", { class: "small muted notice-no" }, [ed.organizer, ed.notice_no].filter(Boolean).join(" · ")),
    h("p", {}, `${ed.organizer}于${rangeText(w.registration.opens, w.learning.closes)}在线举办本次培训。`,
      ed.summary || ""),
    ed.audience ? h("p", {}, h("strong", {}, "培训对象："), ed.audience) : null,
    h("p", { class: `reg-state reg-${reg.state}`, id: "reg-state" }, reg.text),
    h("div", { class: "cta" }, action,
      signedIn ? null : h("span", {}, "已有账号？", h("a", { href: "#/login" }, "直接登录"))));

  const courses = card(`培训内容（${(ed.courses || []).length} 门课程，共 ${totalHours} 学时）`,
    h("ol", { class: "course-list", id: "landing-courses" }, (ed.courses || []).map((c) =>
      h("li", {}, h("span", {}, c.title), h("span", { class: "muted" }, `${c.hours} 学时`)))),
    h("p", { class: "small muted" }, `修完全部学时、填写问卷后可下载电子结业证书（${ed.certificate_hours} 学时）。`));

  const rows = SCHEDULE.filter(([k]) => w[k]).map(([k, label]) => [label, rangeText(w[k].opens, w[k].closes, { year: false })]);
  rows.push(["退费申请", `交费后至 ${endText(w.refund.closes, { year: false })}（${dayText(w.learning.opens, { year: false })}开课前）`]);
  rows.push(["电子发票", `交费后 ${ed.invoice_window_months} 个月内申请`]);
  const schedule = card("时间安排（北京时间）", table(["事项", "时间"], rows, null, { reflow: false }),
    h("p", { class: "small muted" }, `${untilDay(w.learning.closes)}之后，所有课程不可回看，不设延期。证书逾期不补发。`));

  const fees = card("培训费用",
    h("div", { class: "fees" },
      h("div", { class: "fee" }, "会员", h("strong", {}, yuan(ed.fees.member_fen)), h("span", { class: "small muted" }, "每人")),
      h("div", { class: "fee" }, "非会员", h("strong", {}, yuan(ed.fees.non_member_fen)), h("span", { class: "small muted" }, "每人"))),
    h("p", { class: "small" }, `“会员”指在报名当日前已缴纳 ${ed.membership_dues_year} 年度会员会费且在平台完成申请及审批流程的个人会员。`),
    h("p", { class: "small" }, "个人交费：在线支付（推荐，支付宝或微信支付；公务卡报销请在线支付时关联公务卡）或银行转账。",
      "集体交费：同一单位多人参加，由单位账号通过银行转账一次交费。请选择一种方式，不要重复交费。"),
    ed.bank_account ? h("p", { class: "small muted" }, `银行转账需人工审核，约 ${ed.transfer_review_working_days} 个工作日。户名：${ed.bank_account.account_name}，开户行：${ed.bank_account.bank_name}。`) : null);

  const steps = card("参加步骤",
    h("ol", { class: "steps", id: "landing-steps" },
      h("li", {}, h("strong", {}, "注册："), "新用户先注册个人账号；已有账号直接登录。"),
      h("li", {}, h("strong", {}, "报名："), `在报名期内（${rangeText(w.registration.opens, w.registration.closes, { year: false })}）点击“参加”填写报名表，审核通过后方为报名成功。`),
      h("li", {}, h("strong", {}, "交费："), "审核通过后，在“我的培训”中交费。"),
      h("li", {}, h("strong", {}, "学习："), `在“我的云课堂”中点击“选学”，${rangeText(w.learning.opens, w.learning.closes, { year: false })}观看全部课程视频。`),
      h("li", {}, h("strong", {}, "问卷："), "学完所有课程后，在“我的考试”中点击“参加”填写课程效果调查问卷。"),
      h("li", {}, h("strong", {}, "证书："), `在“我的云课堂—我的选课”中下载电子结业证书（${rangeText(w.certificate.opens, w.certificate.closes, { year: false })}）。`),
      h("li", {}, h("strong", {}, "发票："), "交费后一个月内，在“个人中心—订单发票”中申请并下载电子发票。")));

  const contacts = card("联系方式", h("ul", { class: "contacts", id: "landing-contacts" }, (ed.contacts || []).map((c) =>
    h("li", {}, h("strong", {}, c.role), " ", c.name,
      c.phone ? [" 电话 ", h("a", { href: `tel:${c.phone}` }, c.phone)] : null,
      c.email ? [" 邮箱 ", h("a", { href: `mailto:${c.email}` }, c.email)] : null))));

  return h("div", { class: "landing", dataset: { registration: reg.state } },
    hero, courses, h("div", { class: "cols" }, schedule, fees), steps, contacts);
}

async function welcomePage(main) {
  const ed = await currentEdition(true);
  main.append(landingView(ed, { signedIn: Boolean(getSession()) }));
}

export const pages = {
  welcome: { title: "培训介绍", roles: null, render: welcomePage },
};
