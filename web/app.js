// The shell: sign-up / log-in, the navigation for each role, and a tiny hash router
// ("#/page/arg"). Pages live in trainee.js, unit.js and staff.js, loaded when first used.
import { get, getSession, post, setSession } from "./api.js";
import { busy, card, clear, field, flash, flashExpire, formValues, h, syncClock } from "./ui.js";

const PAGE_MODULES = {
  home: "trainee", pay: "trainee", orders: "trainee", learn: "trainee", play: "trainee",
  questionnaire: "trainee", certificate: "trainee", help: "trainee",
  unit: "unit", "unit-orders": "unit",
  review: "staff", finance: "staff", edition: "staff", roster: "staff", report: "staff",
};

const NAV = [
  { page: "home", label: "我的报名", roles: ["trainee"] },
  { page: "orders", label: "订单·退费·发票", roles: ["trainee"] },
  { page: "learn", label: "我的课程", roles: ["trainee"] },
  { page: "questionnaire", label: "问卷", roles: ["trainee"] },
  { page: "certificate", label: "证书", roles: ["trainee"] },
  { page: "unit", label: "集体交费", roles: ["unit"] },
  { page: "unit-orders", label: "单位订单·发票", roles: ["unit"] },
  { page: "review", label: "报名审核", roles: ["reviewer", "admin"] },
  { page: "finance", label: "财务", roles: ["finance", "admin"] },
  { page: "edition", label: "届次设置", roles: ["admin"] },
  { page: "roster", label: "会员名册", roles: ["admin"] },
  { page: "report", label: "统计报表", roles: ["admin"] },
  { page: "help", label: "联系与帮助", roles: null },
];

const loaded = {};
let edition = null;

/** The current edition (cached for the page's life), also syncing the app clock. */
export async function currentEdition(refresh = false) {
  if (!edition || refresh) {
    edition = await get("/editions/current", { auth: false });
    syncClock(edition.now);
  }
  return edition;
}

export function go(page, arg) {
  const target = `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ""}`;
  if (location.hash === target) render();
  else location.hash = target;
}

function roles() {
  const s = getSession();
  return (s && s.roles) || [];
}

function landing() {
  const r = roles();
  if (r.includes("admin")) return "review";
  if (r.includes("reviewer")) return "review";
  if (r.includes("finance")) return "finance";
  if (r.includes("unit")) return "unit";
  return "home";
}

function renderNav(current) {
  const nav = clear(document.getElementById("nav"));
  const who = clear(document.getElementById("who"));
  const s = getSession();
  if (!s) {
    nav.append(h("ul", {},
      h("li", {}, h("a", { href: "#/login", "aria-current": current === "login" ? "page" : null }, "登录")),
      h("li", {}, h("a", { href: "#/signup", "aria-current": current === "signup" ? "page" : null }, "注册")),
      h("li", {}, h("a", { href: "#/help", "aria-current": current === "help" ? "page" : null }, "联系与帮助"))));
    return;
  }
  const mine = roles();
  nav.append(h("ul", {}, NAV.filter((n) => !n.roles || n.roles.some((r) => mine.includes(r)))
    .map((n) => h("li", {}, h("a", { href: `#/${n.page}`, "aria-current": n.page === current ? "page" : null }, n.label)))));
  who.append(h("span", { class: "who-name" }, s.name || s.email),
    h("button", { type: "button", class: "btn-link", onclick: signOut }, "退出"));
}

function signOut() {
  setSession(null);
  go("login");
}

window.addEventListener("lsc:signed-out", (e) => {
  if (!location.hash.startsWith("#/login")) {
    flash(e.detail || "请重新登录", "error");
    location.hash = "#/login";
  }
});

async function render() {
  const hash = location.hash || "";
  if (hash && !hash.startsWith("#/")) return; // an in-page anchor (skip link)
  const [name, ...rest] = hash.replace(/^#\/?/, "").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : null;
  const s = getSession();
  let page = name || (s ? landing() : "login");
  if (!s && !["login", "signup", "help"].includes(page)) page = "login";
  if (s && (page === "login" || page === "signup")) page = landing();
  const root = document.getElementById("main");
  flashExpire();
  renderNav(page);
  // Each render fills its own container: a slower, older render writes into a detached one.
  const main = h("div", { class: "view" });
  clear(root).append(main);
  root.setAttribute("aria-busy", "true");
  // A visible hint when a page takes a moment (slow networks, big lists)
  const slow = setTimeout(() => {
    if (main.isConnected && !main.firstChild) main.append(h("p", { class: "muted loading", role: "status" }, "加载中…"));
  }, 300);
  try {
    if (page === "login") await loginPage(main);
    else if (page === "signup") await signupPage(main);
    else {
      const modName = PAGE_MODULES[page];
      if (!modName) {
        main.append(card("页面不存在", h("p", {}, h("a", { href: `#/${landing()}` }, "返回首页"))));
        return;
      }
      loaded[modName] = loaded[modName] || (await import(`./${modName}.js`));
      const def = loaded[modName].pages[page];
      document.title = `${def.title} · 在职培训平台`;
      if (def.roles && !def.roles.some((r) => roles().includes(r))) {
        main.append(card("无权访问", h("p", {}, "当前账号不能使用此页面。")));
        return;
      }
      await def.render(main, arg);
    }
  } catch (err) {
    if (err && err.status) flash(err.message, "error");
    else {
      console.warn(err);
      flash("页面加载失败，请刷新重试", "error");
    }
  } finally {
    clearTimeout(slow);
    main.querySelector(":scope > .loading")?.remove();
    if (main.isConnected) root.removeAttribute("aria-busy");
  }
  if (!main.isConnected) return;
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

async function signIn(email, password) {
  const tokens = await post("/auth/login", { email, password }, { auth: false });
  setSession({ token: tokens.id_token, email });
  const me = await get("/me");
  setSession({ token: tokens.id_token, email: me.email, name: me.name, roles: me.roles || [], kind: me.kind });
  return me;
}

async function loginPage(main) {
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

async function signupPage(main) {
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

window.addEventListener("hashchange", render);
render();
