// 账号与隐私 (trainees and units): what the platform holds about the person, a copy of it
// (GET /me/personal-data saved as 个人信息-<date>.json) and 注销账号 (POST /me/erasure with
// the typed word 注销, after a modal step that says what goes and what stays). What erasure
// keeps is said as chalicelib/privacy/service.py does it (docs/identity.md, personal data).
import { get, getSession, post, setSession } from "./api.js";
import { currentEdition, go } from "./app.js";
import { busy, card, clear, day, downloadHint, flash, h, showError, untilText } from "./ui.js";

const CONFIRM_WORD = "注销";

// What the export holds, in the person's words (the export's sections in brackets).
const HELD = [
  ["账号与联系方式", "邮箱、姓名、手机号及是否已验证；单位账号另有单位名称和统一社会信用代码。"],
  ["报名与交费", "报名表（单位、职务、地区）、审核记录、订单、交费、退费和电子发票。"],
  ["学习记录", "每门课程已计入的学习时长。"],
  ["问卷", "您提交的问卷答案。"],
  ["证书", "结业证书的编号、持证人姓名、学时和颁发时间。"],
  ["单位认证材料", "单位账号的认证记录和上传的单位介绍信/授权书，以及收发的关联邀请。"],
];

const ERASED = [
  "账号删除，不能再登录；所有设备上的登录立即失效。",
  "报名、问卷、退费通知和发给您的邮件中的姓名、手机号和邮箱被替换（姓名显示为“已注销用户”）。",
  "单位账号的认证记录和上传的授权书文件删除，发出和收到的邀请删除；待用的验证码删除。",
];

const KEPT = [
  "订单、交费、退费记录和电子发票：按财务会计制度保留。",
  "已颁发的结业证书：按颁发时的内容保留（含持证人姓名），用人单位仍可凭证书编号查验。",
  "学会的会员名册是学会自己的登记，不因注销而删除；单位账号的名称和统一社会信用代码留在操作记录中。",
];

function list(items) {
  return h("ul", {}, items.map((x) => h("li", {}, x)));
}

function heldCard() {
  return card("平台保存的您的信息",
    h("dl", { class: "kv privacy-held" }, HELD.map(([name, what]) => [h("dt", {}, name), h("dd", {}, what)])),
    h("p", { class: "small muted" }, "另有发给您的邮件和验证码的发送记录（不含验证码本身）。登录失败等计数只存单向摘要，2 小时内自动过期。"));
}

// --- download ---------------------------------------------------------------------------
// The file stays in this page's memory behind a blob: URL (for 保存 once more) until the
// person leaves the page or erases the account: a shared computer keeps no copy around.
let lastUrl = null;

function forgetExport() {
  if (lastUrl) URL.revokeObjectURL(lastUrl);
  lastUrl = null;
}

window.addEventListener("hashchange", () => {
  if (lastUrl && !document.getElementById("privacy-export-link")) forgetExport();
});

function exportCard() {
  const button = h("button", { type: "button", class: "btn btn-primary", id: "privacy-export" }, "下载我的个人信息");
  const result = h("div", { class: "privacy-export-result", role: "status" });
  button.addEventListener("click", () => busy(button, async () => {
    clear(result);
    const data = await get("/me/personal-data");
    const name = `个人信息-${day(data.exported_at || new Date().toISOString())}.json`;
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    forgetExport();
    lastUrl = URL.createObjectURL(blob);
    const link = h("a", { href: lastUrl, download: name, id: "privacy-export-link" }, name);
    result.append(h("p", { class: "alert alert-success" }, "已生成文件 ", link, "。如浏览器没有自动保存，请点文件名保存。"));
    link.click();
  }, { errorBox: result }));
  return card("下载我的个人信息",
    h("p", {}, "一份 JSON 格式的文件，包含上面列出的全部内容，可用记事本或浏览器打开。"),
    h("div", { class: "toolbar" }, button), downloadHint(), result);
}

// --- erasure ----------------------------------------------------------------------------
/** Why the erasure is refused, item by item, with the day it becomes possible (the
 * server's message says what; the registrations and orders it names say which). */
async function blockedDetails(err) {
  const regIds = (err.data && err.data.registrations) || [];
  const orderIds = (err.data && err.data.orders) || [];
  const unit = ((getSession() || {}).roles || []).includes("unit");
  const out = [];
  if (regIds.length && !unit) {
    try {
      const [mine, ed] = await Promise.all([get("/registrations/mine"), currentEdition()]);
      for (const r of (mine.registrations || []).filter((x) => regIds.includes(x.registration_id))) {
        if (r.payment_status === "paid") {
          const closes = r.edition_id === ed.edition_id && ed.windows.certificate ? ed.windows.certificate.closes : null;
          out.push(`报名 ${r.registration_id} 已交费、培训尚未结束：${closes ? `证书下载期${untilText(closes)}，结束后` : "培训结束后"}可申请注销。`);
        } else {
          out.push(h("span", {}, `报名 ${r.registration_id} 尚未交费：可在“`, h("a", { href: "#/home" }, "我的培训"), "”中撤回报名后再注销。"));
        }
      }
    } catch {
      // the server's message alone still says what to do
    }
  }
  const ordersPage = unit ? ["unit-orders", "单位订单·发票"] : ["orders", "个人中心—订单发票"];
  for (const id of orderIds) {
    out.push(h("span", {}, `订单 ${id} 尚未办结（待支付或退费中）：可在“`,
      h("a", { href: `#/${ordersPage[0]}` }, ordersPage[1]), "”中查看，办结后可申请注销。"));
  }
  return out;
}

function erasureDialog(trigger, onErased) {
  const input = h("input", { id: "erase-confirm", name: "confirm", type: "text", autocomplete: "off",
    "aria-describedby": "erase-confirm-hint" });
  const yes = h("button", { type: "submit", class: "btn btn-danger", id: "erase-submit", disabled: true }, "确认注销");
  const no = h("button", { type: "button", class: "btn", value: "no" }, "取消");
  const errors = h("div", { class: "erase-errors" });
  const form = h("form", { novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "erase-confirm" }, `请输入“${CONFIRM_WORD}”两个字以确认`),
      input,
      h("p", { class: "hint", id: "erase-confirm-hint" }, "注销不能撤销，也不能恢复账号。")),
    errors,
    h("div", { class: "toolbar" }, yes, no));
  const dialog = h("dialog", { class: "confirm-erasure", "aria-labelledby": "erase-q" },
    h("h2", { id: "erase-q" }, "确认注销账号？"),
    h("p", {}, "注销后："), list(ERASED),
    h("p", {}, "按规定保留："), list(KEPT),
    form);
  const typed = () => input.value.trim() === CONFIRM_WORD;
  input.addEventListener("input", () => { yes.disabled = !typed(); });
  // Closed by 取消, Esc, or leaving the page (a link in the refusal, the back button): a
  // modal left open would cover the next page.
  const close = () => {
    window.removeEventListener("hashchange", close);
    if (!dialog.isConnected) return;
    dialog.close();
    dialog.remove();
    if (trigger.isConnected) trigger.focus();
  };
  window.addEventListener("hashchange", close);
  const sending = () => yes.hasAttribute("aria-busy"); // the answer is on its way: wait for it
  no.addEventListener("click", () => { if (!sending()) close(); });
  dialog.addEventListener("cancel", (e) => {
    e.preventDefault();
    if (!sending()) close();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!typed()) {
      showError({ message: `请输入“${CONFIRM_WORD}”以确认`, field: "confirm" }, errors);
      return;
    }
    clear(errors);
    busy(yes, async () => {
      try {
        await post("/me/erasure", { confirm: CONFIRM_WORD });
      } catch (err) {
        if (err && err.status === 409) {
          const details = err.code === "ERASURE_BLOCKED" ? await blockedDetails(err) : [];
          clear(errors).append(h("div", { class: "alert alert-error", role: "alert", id: "erase-blocked" },
            err.message, details.length ? list(details) : null));
          return;
        }
        throw err;
      }
      close();
      onErased();
    }, { errorBox: errors }).then(() => { yes.disabled = !typed() || !dialog.isConnected; });
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

function erasureCard() {
  const button = h("button", { type: "button", class: "btn btn-danger", id: "privacy-erase" }, "注销账号…");
  button.addEventListener("click", () => erasureDialog(button, () => {
    setSession(null); // this browser signed out; the server signed out every other device
    forgetExport();
    flash("账号已注销，个人信息已按说明删除或替换，所有设备上的登录均已失效。感谢您使用本平台。", "success");
    go("welcome");
  }));
  return card("注销账号",
    h("p", {}, "注销后不能恢复。注销前须先办结："),
    list(["撤回待审核或尚未交费的报名；", "已交费的培训待证书下载期结束；", "正在支付或退费中的款项办结。"]),
    h("p", {}, "注销时删除或替换："), list(ERASED),
    h("p", {}, "按规定保留："), list(KEPT),
    h("div", { class: "toolbar" }, button));
}

async function privacyPage(main) {
  main.append(h("h1", {}, "账号与隐私"), heldCard(), exportCard(), erasureCard());
}

export const pages = {
  privacy: { title: "账号与隐私", roles: ["trainee", "unit"], render: privacyPage },
};
