// Staff (admin, finance): unit accounts waiting for verification. Each shows the unit's
// name, its 统一社会信用代码 (checked), the contact e-mail and a short-lived link to the
// uploaded 单位介绍信/授权书; staff approve (after a confirmation) or reject with a reason
// the unit reads. A unit sees no trainee data before it is approved.
import { get, post } from "./api.js";
import { go } from "./app.js";
import { badge, busy, card, field, flash, formValues, h, showError, when } from "./ui.js";

const STATUSES = [["pending", "待审核"], ["rejected", "未通过"], ["verified", "已认证"]];

function unitCard(u) {
  const errors = h("div", { class: "form-errors" });
  const body = [
    h("dl", { class: "kv" },
      h("dt", {}, "统一社会信用代码"), h("dd", {}, u.credit_code, " ",
        u.credit_code_valid ? h("span", { class: "badge badge-approved" }, "校验通过") : h("span", { class: "badge badge-rejected" }, "校验位不符")),
      h("dt", {}, "联系邮箱"), h("dd", {}, u.email),
      h("dt", {}, "状态"), h("dd", {}, badge(u.status, "unit.status")),
      h("dt", {}, "提交时间"), h("dd", {}, when(u.submitted_at)),
      h("dt", {}, "授权书"), h("dd", {}, u.letter
        ? h("a", { href: u.letter.url, target: "_blank", rel: "noopener" }, `查看单位介绍信/授权书（${u.letter_type === "application/pdf" ? "PDF" : "图片"}，5 分钟内有效）`)
        : h("span", { class: "muted" }, "尚未上传")),
      u.reject_reason ? [h("dt", {}, "驳回原因"), h("dd", {}, u.reject_reason)] : null),
    errors,
  ];
  if (u.status === "pending") {
    const approve = h("button", { type: "button", class: "btn btn-primary", disabled: !u.letter }, "核对无误，通过");
    approve.addEventListener("click", () => {
      if (!window.confirm(`确认已核对“${u.unit_name}”的统一社会信用代码 ${u.credit_code} 与授权书，通过认证？通过后该单位可以查看关联其的学员报名并集体交费。`)) return;
      busy(approve, async () => {
        await post(`/admin/units/${encodeURIComponent(u.unit_id)}/approve`);
        flash(`已通过：${u.unit_name}`, "success");
        go("units", "pending");
      }, { errorBox: errors });
    });
    const reject = h("form", { class: "stack", novalidate: true },
      field("驳回原因（单位可见）", "reason", { kind: "textarea", required: true, attrs: { maxlength: 200 } }),
      h("button", { type: "submit", class: "btn btn-danger" }, "驳回"));
    reject.addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = (formValues(reject).reason || "").trim();
      if (!reason) return showError({ message: "驳回须填写原因", field: "reason" }, errors);
      busy(reject.querySelector("button[type=submit]"), async () => {
        await post(`/admin/units/${encodeURIComponent(u.unit_id)}/reject`, { reason });
        flash(`已驳回：${u.unit_name}`, "success");
        go("units");
      }, { errorBox: errors });
    });
    body.push(h("div", { class: "row" }, approve), reject);
  }
  const c = card(u.unit_name, ...body);
  c.dataset.unitId = u.unit_id;
  return c;
}

async function unitsPage(main, arg) {
  const status = STATUSES.some(([s]) => s === arg) ? arg : "pending";
  const data = await get(`/admin/units?status=${encodeURIComponent(status)}`);
  main.append(h("h1", {}, "单位认证"),
    h("nav", { class: "row", "aria-label": "按状态筛选" }, ...STATUSES.map(([s, label]) =>
      h("a", { href: `#/units/${s}`, class: "btn btn-small", "aria-current": s === status ? "page" : null }, label))));
  const units = data.units || [];
  if (!units.length) {
    main.append(card("没有单位", h("p", { class: "muted" }, status === "pending" ? "目前没有等待审核的单位账号。" : "没有该状态的单位账号。")));
    return;
  }
  main.append(h("p", { class: "muted" }, "核对营业执照或事业单位法人证书上的统一社会信用代码与授权书（须加盖单位公章）一致后再通过。"),
    ...units.map(unitCard));
}

export const pages = {
  units: { title: "单位认证", roles: ["admin", "finance"], render: unitsPage },
};
