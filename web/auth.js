// Signing in and up: the login page (password, or 短信验证码登录 for a verified phone), the
// sign-up page, the e-mail confirmation step,
// 忘记密码 (a code by e-mail or SMS), and verifying the phone by an SMS code
// (`phoneVerifyCard(me)` for the profile area; the page #/verify-phone).
import { get, post, setSession } from "./api.js";
import { currentEdition, go, landing } from "./app.js";
import { busy, card, clear, field, flash, formValues, h } from "./ui.js";

async function startSession(tokens, email) {
  const session = { token: tokens.id_token, refresh_token: tokens.refresh_token || null, email };
  setSession(session);
  const me = await get("/me");
  setSession({ ...session, email: me.email, name: me.name, roles: me.roles || [], kind: me.kind });
  return me;
}

async function signIn(email, password, totp) {
  const body = totp ? { email, password, totp } : { email, password };
  return startSession(await post("/auth/login", body, { auth: false }), email);
}

/** A password field with a 显示/隐藏 button (the input keeps focus and its caret). */
function passwordField(label, name, options) {
  const wrap = field(label, name, { kind: "password", ...options });
  const input = wrap.querySelector("input");
  // Visible text, no aria-label: the button must not share the field's label ("密码").
  const toggle = h("button", { type: "button", class: "btn btn-link pw-toggle", "aria-pressed": "false",
    "aria-controls": input.id }, "显示");
  toggle.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    toggle.textContent = show ? "隐藏" : "显示";
    toggle.setAttribute("aria-pressed", String(show));
  });
  input.after(toggle);
  wrap.classList.add("field-password");
  return wrap;
}

// Staff (admin, finance, reviewer) sign in with a TOTP too: the field appears when the API
// asks for it (MFA_REQUIRED), with the QR code and key at the first sign-in
// (MFA_ENROLMENT_REQUIRED: identity/mfa.py).
const MFA_CODES = ["MFA_REQUIRED", "MFA_INVALID", "MFA_ENROLMENT_REQUIRED"];

function mfaBox() {
  const enrol = h("div", { class: "stack mfa-enrol", hidden: true });
  const code = field("动态口令", "totp", { hint: "管理人员账号：身份验证器 App 显示的 6 位数字",
    attrs: { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}" } });
  const box = h("div", { class: "stack mfa", hidden: true }, enrol, code);
  const show = (err) => {
    box.hidden = false;
    const data = err.data || {};
    if (err.code === "MFA_ENROLMENT_REQUIRED" && data.secret) {
      clear(enrol).append(
        h("p", {}, "首次登录须绑定身份验证器（如 Microsoft Authenticator、Google 身份验证器）：用 App 扫描二维码，或手动输入密钥。"),
        h("img", { src: data.qr_svg, alt: "绑定身份验证器的二维码", class: "mfa-qr", width: 180, height: 180 }),
        h("p", {}, "密钥：", h("code", { class: "mfa-secret" }, data.secret)));
      enrol.hidden = false;
    }
    const input = code.querySelector("input");
    input.value = "";
    input.focus();
  };
  return { box, show };
}

export async function loginPage(main) {
  document.title = "登录 · 在职培训平台";
  const errors = h("div", { class: "form-errors" });
  const mfa = mfaBox();
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    field("邮箱", "email", { kind: "email", required: true, attrs: { autocomplete: "username" } }),
    passwordField("密码", "password", { required: true, attrs: { autocomplete: "current-password" } }),
    mfa.box,
    h("button", { type: "submit", class: "btn btn-primary" }, "登录"),
    h("p", {}, h("a", { href: "#/forgot" }, "忘记密码？")),
    h("p", {}, "还没有账号？", h("a", { href: "#/signup" }, "注册个人或单位账号")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!v.email || !v.password) {
      flash("请填写邮箱和密码", "error");
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      try {
        await signIn(v.email, v.password, v.totp);
      } catch (err) {
        if (MFA_CODES.includes(err.code)) mfa.show(err);
        throw err;
      }
      go(landing());
    }, { errorBox: errors });
  });
  const [tabs, panels] = loginTabs([["password", "密码登录", form], ["sms", "短信验证码登录", smsLoginForm()]]);
  main.append(h("div", { class: "narrow" }, h("h1", {}, "登录"), tabs, ...panels, await calendarTeaser()));
}

/** Tabs (ARIA tabs pattern: arrows move between them) over the two ways of signing in. */
function loginTabs(entries) {
  const tabs = h("div", { class: "login-tabs", role: "tablist", "aria-label": "登录方式" });
  const buttons = [];
  const panels = entries.map(([key, label, content], i) => {
    const tabId = `login-tab-${key}`;
    const panelId = `login-panel-${key}`;
    const tab = h("button", { type: "button", role: "tab", id: tabId, class: "login-tab",
      "aria-controls": panelId, "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1" }, label);
    buttons.push(tab);
    tabs.append(tab);
    // (no aria-labelledby: the panel named "密码登录" would answer to the label 密码 too)
    return h("div", { role: "tabpanel", id: panelId, hidden: i !== 0 }, content);
  });
  const select = (index, focus) => {
    buttons.forEach((b, i) => {
      b.setAttribute("aria-selected", String(i === index));
      b.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    if (focus) buttons[index].focus();
  };
  buttons.forEach((b, i) => {
    b.addEventListener("click", () => {
      select(i, false);
      const first = panels[i].querySelector("input");
      if (first) first.focus();
    });
    b.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: buttons.length - 1 - i }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      select((i + step + buttons.length) % buttons.length, true);
    });
  });
  return [tabs, panels];
}

// --- 短信验证码登录: only for an account whose phone is verified (identity/sms_login.py) ---
function smsLoginForm() {
  const errors = h("div", { class: "form-errors" });
  const status = h("p", { role: "status", class: "muted sms-status" });
  const phone = field("手机号", "phone", { kind: "tel", required: true,
    attrs: { autocomplete: "tel", inputmode: "numeric", maxlength: 20, "aria-describedby": "sms-phone-hint" } });
  const phoneHint = h("p", { class: "hint", id: "sms-phone-hint" }, "已在“验证手机”中验证过的中国大陆手机号（11 位）");
  const sendButton = h("button", { type: "button", class: "btn sms-send" }, "获取验证码");
  const code = field("短信验证码", "code", { required: true,
    attrs: { autocomplete: "one-time-code", inputmode: "numeric", maxlength: 6, pattern: "[0-9]{6}" } });
  const form = h("form", { class: "stack", novalidate: true },
    errors,
    h("div", { class: "sms-phone-row" }, phone, sendButton),
    phoneHint,
    status,
    code,
    h("button", { type: "submit", class: "btn btn-primary" }, "登录"),
    h("p", { class: "muted" }, "工作人员账号请用邮箱、密码和动态口令登录。"));
  form.addEventListener("input", (e) => e.target.removeAttribute("aria-invalid"));
  const countdown = resendCountdown(sendButton, (left) => `${left} 秒后重新获取`, "重新获取验证码");
  const phoneValue = () => phone.querySelector("input").value.trim();
  sendButton.addEventListener("click", () => {
    clear(errors);
    if (!phoneValue()) {
      showFieldError(errors, phone, "请填写手机号");
      return;
    }
    busy(sendButton, async () => {
      try {
        const sent = await post("/auth/login/sms/code", { phone: phoneValue() }, { auth: false });
        status.textContent = `${sent.message}（${sent.phone}）。`;
        code.querySelector("input").focus();
        setTimeout(() => countdown.start(sent.resend_after), 0);
      } catch (err) {
        const wait = err.data && err.data.retry_after_s;
        if (err.code === "TOO_MANY_ATTEMPTS" && wait && wait <= 120) setTimeout(() => countdown.start(wait), 0);
        throw err;
      }
    }, { errorBox: errors });
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clear(errors);
    const v = formValues(form);
    if (!v.phone) {
      showFieldError(errors, phone, "请填写手机号");
      return;
    }
    if (!v.code || !/^[0-9]{6}$/.test(v.code)) {
      showFieldError(errors, code, v.code ? "短信验证码是 6 位数字" : "请填写短信验证码");
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      const tokens = await post("/auth/login/sms", { phone: v.phone, code: v.code }, { auth: false });
      countdown.stop();
      await startSession(tokens, null);
      go(landing());
    }, { errorBox: errors });
  });
  return form;
}

/** A send-code button that may be pressed again only after `seconds` (the server's
 * resend_after, or a 429's wait), counting down on its face. */
function resendCountdown(button, waiting, again) {
  let timer = null;
  const stop = () => clearInterval(timer); // the code was accepted: the page moves on
  const start = (seconds) => {
    stop();
    let left = Math.max(1, Math.round(seconds));
    button.disabled = true;
    button.textContent = waiting(left);
    timer = setInterval(() => {
      left -= 1;
      if (left <= 0 || !button.isConnected) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = again;
      } else button.textContent = waiting(left);
    }, 1000);
  };
  return { start, stop };
}

function showFieldError(box, wrap, message) {
  clear(box).append(h("div", { class: "alert alert-error", role: "alert" }, message));
  const input = wrap.querySelector("input");
  input.setAttribute("aria-invalid", "true");
  input.focus();
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
    passwordField("密码", "password", { required: true, hint: "至少 8 位，含大小写字母、数字和符号", attrs: { autocomplete: "new-password" } }),
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
        if (err.code === "INVALID_CREDENTIALS") {
          // The sign-up answer is the same for an e-mail that already has an account; the
          // mail tells its owner. Say nothing more here than that mail does.
          clear(main).append(h("div", { class: "narrow" }, card("请查收邮件",
            h("p", {}, `我们已向 ${v.email} 发送邮件。如果该邮箱此前已注册，邮件会说明如何登录或重设密码。`),
            h("p", {}, h("a", { href: "#/login" }, "去登录"), " · ", h("a", { href: "#/forgot" }, "忘记密码")))));
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


// --- 忘记密码 ------------------------------------------------------------------------------
async function forgotPage(main) {
  const errors = h("div", { class: "form-errors" });
  const channel = h("fieldset", { class: "choice" },
    h("legend", {}, "验证码发送到"),
    h("label", {}, h("input", { type: "radio", name: "channel", value: "email", checked: true }), " 发到注册邮箱"),
    h("label", {}, h("input", { type: "radio", name: "channel", value: "sms" }), " 发到已验证的手机（短信）"));
  const form = h("form", { class: "stack", novalidate: true },
    h("h1", {}, "忘记密码"),
    h("p", {}, "填写注册时的邮箱，我们会把重设密码的验证码发给您。"),
    errors,
    field("邮箱", "email", { kind: "email", required: true, attrs: { autocomplete: "username" } }),
    channel,
    h("button", { type: "submit", class: "btn btn-primary" }, "发送验证码"),
    h("p", {}, h("a", { href: "#/login" }, "返回登录")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!v.email) {
      flash("请填写邮箱", "error");
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      const sent = await post("/auth/password/forgot", { email: v.email, channel: v.channel || "email" }, { auth: false });
      resetStep(main, v.email, sent.message);
    }, { errorBox: errors });
  });
  main.append(h("div", { class: "narrow" }, form));
}

function resetStep(main, email, message) {
  clear(main);
  const errors = h("div", { class: "form-errors" });
  const form = h("form", { class: "stack", novalidate: true },
    h("h1", {}, "设置新密码"),
    h("p", { role: "status" }, `${message}。验证码 5 分钟内有效。`),
    errors,
    field("验证码", "code", { required: true, attrs: { autocomplete: "one-time-code", inputmode: "numeric", maxlength: 8 } }),
    passwordField("新密码", "password", { required: true, hint: "至少 8 位，含大小写字母、数字和符号", attrs: { autocomplete: "new-password" } }),
    h("button", { type: "submit", class: "btn btn-primary" }, "设置新密码"),
    h("p", {}, h("a", { href: "#/forgot" }, "重新获取验证码")));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (!v.code || !v.password) {
      flash("请填写验证码和新密码", "error");
      return;
    }
    busy(form.querySelector("button[type=submit]"), async () => {
      await post("/auth/password/reset", { email, code: v.code, password: v.password }, { auth: false });
      setSession(null);
      flash("密码已重设，其他设备上的登录已退出。请用新密码登录。", "success");
      go("login");
    }, { errorBox: errors });
  });
  main.append(h("div", { class: "narrow" }, form));
}

// --- the phone, verified by an SMS code --------------------------------------------------
/** A card for the profile area: the phone's state and, until verified, the two steps
 * (send the code, type it). `onVerified(me)` gets the new /me (membership may change). */
export function phoneVerifyCard(me, onVerified) {
  if (!me.phone) {
    return card("手机号", h("p", {}, "账号未填写手机号。"));
  }
  if (me.phone_verified) {
    return card("手机号", h("p", {}, `${me.phone} `, h("span", { class: "badge badge-confirmed" }, "已验证")));
  }
  const errors = h("div", { class: "form-errors" });
  const status = h("p", { role: "status", class: "muted" });
  const sendButton = h("button", { type: "button", class: "btn" }, "发送验证码");
  const codeForm = h("form", { class: "stack", novalidate: true, hidden: true },
    field("短信验证码", "code", { required: true, attrs: { autocomplete: "one-time-code", inputmode: "numeric", maxlength: 8 } }),
    h("button", { type: "submit", class: "btn btn-primary" }, "验证"));
  const countdown = resendCountdown(sendButton, (left) => `${left} 秒后可重发`, "重新发送");
  sendButton.addEventListener("click", () => {
    busy(sendButton, async () => {
      const sent = await post("/me/phone/code", {});
      status.textContent = `验证码已发送到 ${sent.phone}，${Math.round(sent.expires_in / 60)} 分钟内有效。`;
      codeForm.hidden = false;
      codeForm.querySelector("input").focus();
      setTimeout(() => countdown.start(sent.resend_after), 0);
    }, { errorBox: errors });
  });
  codeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const { code } = formValues(codeForm);
    if (!code) {
      flash("请填写短信验证码", "error");
      return;
    }
    busy(codeForm.querySelector("button[type=submit]"), async () => {
      const fresh = await post("/me/phone/verify", { code });
      countdown.stop();
      flash("手机号已验证", "success");
      if (onVerified) onVerified(fresh);
    }, { errorBox: errors });
  });
  const hint = me.membership && me.membership.verification_needed === "phone"
    ? h("p", { class: "alert alert-info" }, me.membership.note) : null;
  return card("验证手机号",
    h("p", {}, `${me.phone}（未验证）。验证后，会员名册中与该手机号相符的会员身份才会生效，登录时也可以用短信验证码。`),
    hint, errors, status, sendButton, codeForm);
}

async function verifyPhonePage(main) {
  const me = await get("/me");
  const render = (current) => {
    clear(main);
    main.append(h("div", { class: "narrow" }, h("h1", {}, "验证手机"),
      phoneVerifyCard(current, render),
      current.phone_verified && current.membership ? card("会员身份", h("p", {}, current.membership.note),
        current.membership.member_no ? h("p", {}, `会员号：${current.membership.member_no}`) : null) : null));
  };
  render(me);
}

export const pages = {
  forgot: { title: "忘记密码", roles: null, render: forgotPage },
  "verify-phone": { title: "验证手机", roles: null, render: verifyPhonePage },
};
