// The shell: sign-up / log-in, the navigation for each role, and a tiny hash router
// ("#/page/arg"). Pages live in one module per area (auth, trainee, pay, learn, unit, staff,
// finance), each loaded when first used.
import { get, getSession, post, setSession } from "./api.js";
import { busy, card, clear, field, flash, flashExpire, formValues, h, syncClock } from "./ui.js";

const PAGE_MODULES = {
  home: "trainee", questionnaire: "trainee", certificate: "trainee", help: "trainee",
  pay: "pay", orders: "pay", learn: "learn", play: "learn",
  unit: "unit", "unit-orders": "unit",
  review: "staff", finance: "finance", edition: "staff", roster: "staff", report: "staff",
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
    if (main.isConnected) root.removeAttribute("aria-busy");
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
