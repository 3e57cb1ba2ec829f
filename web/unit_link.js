// The trainee's side of unit accounts: linking a registration to a verified unit account is
// the trainee's own choice — picking it in the registration form (`unitChoiceField`) or
// accepting the unit's invitation later (`unitLinkBlock`). A linked unit sees the
// registration and may pay for it in a group order; the trainee can leave an unpaid group
// order or take the link back at any time before the unit has paid.
import { get, post } from "./api.js";
import { go } from "./app.js";
import { busy, clear, field, flash, h } from "./ui.js";

const NONE = "不关联（个人交费）";
const SHARED = "关联后，该单位可以看到您的报名（姓名、邮箱、职务、交费状态）并为您集体交费；交费前可随时取消。";

async function verifiedNamed(name) {
  if (!name) return [];
  try {
    return (await get(`/units/verified?unit_name=${encodeURIComponent(name)}`)).units || [];
  } catch {
    return []; // the choice is optional: never block the registration
  }
}

/** The registration form's optional unit choice (a select named `unit_id`): the verified
 * unit accounts whose name is what the trainee typed in 单位名称. Mount it after that field. */
export function unitChoiceField(form) {
  const wrap = field("关联单位账号（可选）", "unit_id", { kind: "select", options: [["", NONE]], hint: SHARED });
  const select = wrap.querySelector("select");
  let last = null;
  const refresh = async () => {
    const input = form.querySelector('[name="unit_name"]');
    const name = ((input && input.value) || "").trim();
    if (name === last) return;
    last = name;
    const units = await verifiedNamed(name);
    clear(select).append(h("option", { value: "" }, NONE),
      ...units.map((u) => h("option", { value: u.unit_id }, `${u.unit_name}（已认证的单位账号）`)));
    wrap.hidden = !units.length;
  };
  wrap.hidden = true;
  form.addEventListener("change", (e) => {
    if (e.target && e.target.name === "unit_name") refresh();
  });
  setTimeout(refresh, 0);
  return wrap;
}

function action(label, cls, confirmText, call, okText) {
  const btn = h("button", { type: "button", class: `btn ${cls}` }, label);
  btn.addEventListener("click", () => {
    if (confirmText && !window.confirm(confirmText)) return;
    busy(btn, async () => {
      await call();
      flash(okText, "success");
      go("home");
    });
  });
  return btn;
}

/** For a live registration: its link to a unit account (leave the unit's unpaid group
 * order, take the link back), or the invitations and same-name verified units to link to. */
export function unitLinkBlock(reg) {
  if (!["pending", "approved"].includes(reg.status)) return null;
  const box = h("div", { class: "stack unit-link", hidden: true }, h("h3", {}, "单位集体交费"));
  const rid = encodeURIComponent(reg.registration_id);
  (async () => {
    if (reg.unit_id) {
      const row = h("div", { class: "toolbar" });
      const inGroup = reg.open_order_id && reg.open_order_id.startsWith("G");
      box.append(h("p", {}, inGroup ? `单位已把您列入集体订单 ${reg.open_order_id}，由单位汇款交费。` : "本报名已关联单位账号：单位可以看到您的报名并为您集体交费。"), row);
      if (inGroup) {
        row.append(action("退出集体订单", "btn-danger", "确定退出单位的集体订单吗？退出后订单金额相应减少，您需自行交费。",
          () => post(`/orders/${encodeURIComponent(reg.open_order_id)}/leave`), "已退出集体订单，可以自行交费"));
      }
      if (reg.payment_status === "unpaid") {
        row.append(action("取消关联单位", "", "确定取消与该单位账号的关联吗？单位将看不到您的报名（如在单位的未支付集体订单中，会先退出）。",
          () => post(`/registrations/${rid}/unit-link/remove`), "已取消关联"));
      }
      box.hidden = false;
      return;
    }
    if (reg.payment_status !== "unpaid") return;
    const [inv, named] = await Promise.all([get("/me/unit-invitations").catch(() => ({ invitations: [] })),
      verifiedNamed(reg.unit_name)]);
    const offers = new Map();
    for (const i of inv.invitations || []) offers.set(i.unit_id, { ...i, invited: true });
    for (const u of named) if (!offers.has(u.unit_id)) offers.set(u.unit_id, u);
    if (!offers.size) return;
    box.append(h("p", { class: "small muted" }, SHARED),
      ...[...offers.values()].map((u) => h("div", { class: "row" },
        h("span", {}, u.invited ? `${u.unit_name} 邀请您关联本报名` : `${u.unit_name}（已认证的单位账号）`),
        action(u.invited ? "接受邀请" : "关联到该单位", "btn-small", null,
          () => post(`/registrations/${rid}/unit-link`, { unit_id: u.unit_id }), `已关联 ${u.unit_name}`))));
    box.hidden = false;
  })();
  return box;
}
