// The shell: sign-up / log-in, the navigation for each role, and a tiny hash router
// ("#/page/arg"). Pages live in one module per area (auth, trainee, pay, learn, unit, staff,
// finance), each loaded when first used.
import { get, getSession, post, setSession } from "./api.js";
import { busy, card, clear, field, flash, flashExpire, formValues, h, syncClock } from "./ui.js";

const PAGE_MODULES = {
  welcome: "landing",
  home: "trainee", questionnaire: "trainee", certificate: "trainee", help: "trainee",
  pay: "pay", orders: "pay", learn: "learn", play: "learn",
  unit: "unit", "unit-orders": "unit",
  review: "staff", finance: "finance", edition: "staff", roster: "staff", report: "staff",
  exports: "staff", units: "staff_units",
  forgot: "auth", "verify-phone": "auth",
  privacy: "privacy",
};

// Pages anyone may open without signing in (others add theirs here).
export const PUBLIC_PAGES = ["welcome", "login", "signup", "help", "forgot"];

// The trainee's menu uses the notice's own words (中图学字〔2026〕17号: 我的培训, 我的云课堂,
// 我的考试, 我的云课堂—我的选课 for the certificate, 个人中心—订单发票).
const NAV = [
  { page: "home", label: "我的培训", roles: ["trainee"] },
  { page: "learn", label: "我的云课堂", roles: ["trainee"] },
  { page: "questionnaire", label: "我的考试", roles: ["trainee"] },
  { page: "certificate", label: "我的选课·证书", roles: ["trainee"] },
  { page: "orders", label: "个人中心—订单发票", roles: ["trainee"] },
  { page: "unit", label: "集体交费", roles: ["unit"] },
  { page: "unit-orders", label: "单位订单·发票", roles: ["unit"] },
  { page: "review", label: "报名审核", roles: ["reviewer", "admin"] },
  { page: "finance", label: "财务", roles: ["finance", "admin"] },
  { page: "edition", label: "届次设置", roles: ["admin"] },
  { page: "roster", label: "会员名册", roles: ["admin"] },
  { page: "report", label: "统计报表", roles: ["admin"] },
  { page: "exports", label: "数据导出", roles: ["finance", "admin"] },
  { page: "units", label: "单位认证", roles: ["finance", "admin"] },
  { page: "privacy", label: "账号与隐私", roles: ["trainee", "unit"] },
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

export function landing() {
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
  setMenu(false);
  if (!s) {
    const link = (page, label) => h("li", {}, h("a", { href: `#/${page}`, "aria-current": current === page ? "page" : null }, label));
    nav.append(h("ul", {}, link("welcome", "培训介绍"), link("login", "登录"), link("signup", "注册"), link("help", "联系与帮助")));
    if (current !== "login") who.append(h("a", { class: "btn-link top-login", href: "#/login" }, "登录"));
    return;
  }
  const mine = roles();
  nav.append(h("ul", {}, NAV.filter((n) => !n.roles || n.roles.some((r) => mine.includes(r)))
    .map((n) => h("li", {}, h("a", { href: `#/${n.page}`, "aria-current": n.page === current ? "page" : null }, n.label)))));
  who.append(h("span", { class: "who-name" }, s.name || s.email),
    h("button", { type: "button", class: "btn-link", onclick: signOut }, "退出"));
}

// The phone's menu: one button opens the navigation under the header (on wider screens the
// navigation is always shown and the button hidden by CSS).
function setMenu(open) {
  const top = document.querySelector(".top");
  const button = document.getElementById("menu-toggle");
  if (!top || !button) return;
  top.classList.toggle("menu-open", open);
  button.setAttribute("aria-expanded", String(open));
}

document.getElementById("menu-toggle")?.addEventListener("click", () => {
  setMenu(!document.querySelector(".top").classList.contains("menu-open"));
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && document.querySelector(".top.menu-open")) {
    setMenu(false);
    document.getElementById("menu-toggle").focus();
  }
});

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
  let page = name || (s ? landing() : "welcome");
  if (!s && !PUBLIC_PAGES.includes(page)) page = "login";
  if (s && (page === "login" || page === "signup")) page = landing();
  const root = document.getElementById("main");
  flashExpire();
  renderNav(page);
  // Each render fills its own container: a slower, older render writes into a detached one.
  const main = h("div", { class: "view" });
  clear(root).append(main);
  root.setAttribute("aria-busy", "true");
  delete root.dataset.route;
  // A visible hint when a page takes a moment (slow networks, big lists)
  const slow = setTimeout(() => {
    if (main.isConnected && !main.firstChild) main.append(h("p", { class: "muted loading", role: "status" }, "加载中…"));
  }, 300);
  try {
    if (page === "login" || page === "signup") {
      const auth = (loaded.auth = loaded.auth || (await import("./auth.js")));
      await (page === "login" ? auth.loginPage : auth.signupPage)(main);
    }
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
    if (main.isConnected) {
      root.removeAttribute("aria-busy");
      root.dataset.route = hash; // which route the shown page was rendered for (tests wait on it)
    }
  }
  if (!main.isConnected) return;
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

window.addEventListener("hashchange", render);
render();
