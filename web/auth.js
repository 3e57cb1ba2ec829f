// Signing in and up: the login page, the sign-up page and the e-mail confirmation step.
import { get, post, setSession } from "./api.js";
import { currentEdition, go, landing } from "./app.js";
import { busy, card, clear, field, flash, formValues, h } from "./ui.js";

async function signIn(email, password) {
  const tokens = await post("/auth/login", { email, password }, { auth: false });
  setSession({ token: tokens.id_token, email });
  const me = await get("/me");
  setSession({ token: tokens.id_token, email: me.email, name: me.name, roles: me.roles || [], kind: me.kind });
  return me;
}

export async function loginPage(main) {
  document.title = "登录 · 在职培训平台";
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true },
    h("h1", {}, "登录"),
    errors,
    field("邮箱", "email", { kind: "email", required: true, attrs: { autocomplete: "username" } }),
    field("密码", "password", { kind: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("button", { type: "submit", class: "btn btn-primary" }, "登录"),
    h("p", {}, "还没有账号？", h("a", { href: "#/signup" }, "注册个人或单位账号")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!v.email || !v.password) {
      flash("请填写邮箱和密码", "error");
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      await signIn(v.email, v.password);
      go(landing());
    }, { errorBox: errors });
  });
  main.append(h("div", { class: "narrow" }, form, await calendarTeaser()));
}

async function calendarTeaser() {
  try {
    const ed = await currentEdition();
    return card(ed.title, h("p", {}, `${ed.organizer} · ${ed.notice_no || ""}`),
      h("p", {}, `报名：${(ed.windows.registration.open_now ? "进行中" : "未开放")}。会员 ${(ed.fees.member_fen / 100).toFixed(2)} 元，非会员 ${(ed.fees.non_member_fen / 100).toFixed(2)} 元。`));
  } catch {
    return null;
  }
}

export async function signupPage(main) {
  document.title = "注册 · 在职培训平台";
  const errors = h("div", { class: "form-errors" });
  const unitFields = h("div", { class: "stack", hidden: true },
    field("单位名称", "unit_name", { hint: "与单位职工报名时填写的单位名称一致" }),
    field("统一社会信用代码", "credit_code", { hint: "18 位，用于开具发票", attrs: { maxlength: 18, autocapitalize: "characters" } }));
  const kind = h("fieldset", { class: "choice" },
    h("legend", {}, "账号类型"),
    h("label", {}, h("input", { type: "radio", name: "kind", value: "personal", checked: true }), " 个人（学员）"),
    h("label", {}, h("input", { type: "radio", name: "kind", value: "unit" }), " 单位（集体交费）"));
  const form = h("form", { class: "stack", novalidate: true },
    h("h1", {}, "注册账号"),
    errors,
    kind,
    field("邮箱", "email", { kind: "email", required: true, attrs: { autocomplete: "email" } }),
    field("密码", "password", { kind: "password", required: true, hint: "至少 8 位，含大小写字母、数字和符号", attrs: { autocomplete: "new-password" } }),
    field("姓名（单位账号填联系人）", "name", { required: true, attrs: { autocomplete: "name" } }),
    field("手机号", "phone", { kind: "tel", attrs: { autocomplete: "tel", inputmode: "tel" } }),
    unitFields,
    h("button", { type: "submit", class: "btn btn-primary" }, "注册"),
    h("p", {}, "已有账号？", h("a", { href: "#/login" }, "登录")));
  kind.addEventListener("change", () => {
    unitFields.hidden = formValues(form).kind !== "unit";
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (v.kind !== "unit") {
      delete v.unit_name;
      delete v.credit_code;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      await post("/auth/signup", v, { auth: false });
      try {
        await signIn(v.email, v.password);
      } catch (err) {
        if (err.code === "NOT_CONFIRMED") {
          confirmStep(main, v.email, v.password);
          return;
        }
        throw err;
      }
      flash("注册成功", "success");
      go(landing());
    }, { errorBox: errors });
  });
  main.append(h("div", { class: "narrow" }, form));
}

function confirmStep(main, email, password) {
  clear(main);
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack narrow" },
    h("h1", {}, "验证邮箱"),
    h("p", {}, `验证码已发送到 ${email}，请查收邮件后填写。`),
    errors,
    field("验证码", "code", { required: true, attrs: { autocomplete: "one-time-code", inputmode: "numeric" } }),
    h("button", { type: "submit", class: "btn btn-primary" }, "确认"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(form.querySelector("button"), async () => {
      await post("/auth/confirm", { email, code: formValues(form).code }, { auth: false });
      await signIn(email, password);
      go(landing());
    }, { errorBox: errors });
  });
  main.append(form);
}

