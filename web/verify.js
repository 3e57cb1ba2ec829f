// Public certificate verification: verify.html?no=<certificate_no> -> GET /verify/{no}.
import { get } from "./api.js";
import { card, clear, dayText, h } from "./ui.js";

const form = document.getElementById("verify-form");
const input = document.getElementById("no");
const result = document.getElementById("result");

async function check(no) {
  clear(result).append(h("p", { class: "muted" }, "查验中…"));
  let data;
  try {
    data = await get(`/verify/${encodeURIComponent(no)}`, { auth: false });
  } catch (err) {
    clear(result).append(h("div", { class: "alert alert-error", role: "alert", id: "verify-bad" },
      h("strong", {}, "未通过查验："), err.message));
    return;
  }
  const ok = data.genuine === true;
  clear(result).append(card(ok ? "证书真实有效" : "证书无效",
    h("p", { class: `alert ${ok ? "alert-success" : "alert-error"}`, id: ok ? "verify-ok" : "verify-bad" },
      data.message || (ok ? "证书真实有效" : "该证书已被撤销")),
    h("dl", { class: "kv" },
      h("dt", {}, "证书编号"), h("dd", {}, data.certificate_no || no),
      h("dt", {}, "持证人"), h("dd", {}, data.holder_name || "—"),
      h("dt", {}, "培训"), h("dd", {}, data.edition || "—"),
      h("dt", {}, "学时"), h("dd", {}, data.hours ?? "—"),
      h("dt", {}, "发证日期"), h("dd", {}, dayText(data.issued_at, { time: false })),
      data.revoked_at ? [h("dt", {}, "撤销时间"), h("dd", {}, dayText(data.revoked_at, { time: true }))] : null,
      data.revoke_reason ? [h("dt", {}, "撤销原因"), h("dd", {}, data.revoke_reason)] : null)));
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const no = input.value.trim();
  if (!no) {
    input.setAttribute("aria-invalid", "true");
    clear(result).append(h("div", { class: "alert alert-error", role: "alert" }, "请输入证书编号"));
    input.focus();
    return;
  }
  history.replaceState(null, "", `?no=${encodeURIComponent(no)}`);
  check(no);
});

const initial = new URLSearchParams(location.search).get("no");
if (initial) {
  input.value = initial;
  check(initial);
}
