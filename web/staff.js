// Staff pages: the review queue (reviewer, admin); admin: the edition form with a preview of
// the landing page, the members roster (template, import, list and search), the report
// (ECharts, gross and net income) and the XLSX exports (also for finance). Finance's own
// pages are finance.js.
import { get, getSession, put, post, sheetType, upload } from "./api.js";
import { API_BASE } from "./config.js";
import { barChart, funnelChart, lineChart } from "./chart.js";
import {
  badge, beijing, busy, card, clear, dayText, field, flash, formValues, h, progress, showError, table, untilText, when, yuan,
} from "./ui.js";

// --- review queue ----------------------------------------------------------------------
async function reviewPage(main) {
  main.append(h("h1", {}, "报名审核"));
  const state = { status: "pending", items: [], next: null, selected: new Set() };
  const filterForm = h("form", { class: "filters card", "aria-label": "筛选" },
    field("状态", "status", { kind: "select", value: "pending", options: [["pending", "待审核"], ["approved", "已通过"], ["rejected", "未通过"], ["withdrawn", "已撤回"]] }),
    field("姓名 / 单位 / 地区 包含", "q", { hint: "在已加载的记录中筛选" }),
    field("会员", "tier", { kind: "select", options: [["", "全部"], ["member", "会员"], ["non_member", "非会员"]] }),
    h("div", { class: "field" }, h("button", { type: "submit", class: "btn" }, "刷新列表")));
  const summary = h("p", { class: "muted", role: "status", id: "review-count" });
  const bulkBar = h("div", { class: "toolbar" });
  const bulkProgress = h("div", { id: "bulk-progress" });
  const listBox = h("div", { id: "review-list", class: "review-list" });
  // shown only while the server said there is another page (CSS makes [hidden] win)
  const more = h("button", { type: "button", class: "btn", id: "review-more", hidden: true }, "加载更多");
  main.append(filterForm, card("审核队列", summary, bulkBar, bulkProgress, listBox, more));

  const visible = () => {
    const v = formValues(filterForm);
    const q = (v.q || "").toLowerCase();
    return state.items.filter((r) => (!q || `${r.name} ${r.unit_name} ${r.region} ${r.email}`.toLowerCase().includes(q))
      && (!v.tier || r.tier === v.tier));
  };

  const renderList = () => {
    const rows = visible();
    summary.textContent = `已加载 ${state.items.length} 条，显示 ${rows.length} 条${state.next ? "（还有更多，可点“加载更多”）" : "（已全部加载）"}`;
    clear(bulkBar);
    if (state.status === "pending") {
      const all = h("input", { type: "checkbox", id: "select-all" });
      all.checked = rows.length > 0 && rows.every((r) => state.selected.has(r.registration_id));
      all.addEventListener("change", () => {
        rows.forEach((r) => (all.checked ? state.selected.add(r.registration_id) : state.selected.delete(r.registration_id)));
        renderList();
      });
      const bulk = h("button", { type: "button", class: "btn btn-primary", disabled: state.selected.size === 0 }, `批量通过（${state.selected.size}）`);
      bulk.addEventListener("click", () => bulkApprove(bulk));
      bulkBar.append(h("label", { for: "select-all", class: "check" }, all, " 全选当前显示"), bulk);
    }
    clear(listBox).append(table(
      [state.status === "pending" ? "选择" : "状态", "姓名", "单位 / 职务", "地区", "费用", "提交时间", "操作"],
      rows.map((r) => {
        const box = h("input", { type: "checkbox", "aria-label": `选择 ${r.name}` });
        box.checked = state.selected.has(r.registration_id);
        box.addEventListener("change", () => {
          if (box.checked) state.selected.add(r.registration_id);
          else state.selected.delete(r.registration_id);
          renderList();
        });
        return [
          state.status === "pending" ? box : badge(r.status),
          h("div", { dataset: { registrationId: r.registration_id } }, h("div", {}, r.name), h("div", { class: "small muted" }, r.email || "")),
          `${r.unit_name} / ${r.job_title}`,
          r.region,
          `${yuan(r.fee_fen)} ${r.tier === "member" ? "会员" : "非会员"}`,
          when(r.submitted_at),
          r.status === "pending" ? reviewActions(r) : (r.reject_reason ? `原因：${r.reject_reason}` : ""),
        ];
      }), "报名列表"));
    more.hidden = !state.next;
  };

  const reviewActions = (r) => {
    const box = h("div", { class: "row review-actions" });
    const ok = h("button", { type: "button", class: "btn btn-small btn-primary", "aria-label": `通过 ${r.name}` }, "通过");
    const no = h("button", { type: "button", class: "btn btn-small btn-danger", "aria-label": `驳回 ${r.name}` }, "驳回");
    ok.addEventListener("click", () => busy(ok, async () => {
      await post(`/admin/registrations/${encodeURIComponent(r.registration_id)}/approve`);
      done(r, `已通过：${r.name}`);
    }));
    no.addEventListener("click", () => {
      const errors = h("div", { class: "form-errors" });
      const form = h("form", { class: "stack reject-form", novalidate: true }, errors,
        field(`驳回 ${r.name} 的原因（学员可见）`, "reason", { kind: "textarea", required: true }),
        h("div", { class: "row" }, h("button", { type: "submit", class: "btn btn-small btn-danger" }, "确认驳回"),
          h("button", { type: "button", class: "btn btn-small", onclick: () => renderList() }, "取消")));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const reason = formValues(form).reason;
        if (!reason) {
          showError({ message: "请填写驳回原因", field: "reason", status: 400 }, errors);
          return;
        }
        busy(form.querySelector("button[type=submit]"), async () => {
          await post(`/admin/registrations/${encodeURIComponent(r.registration_id)}/reject`, { reason });
          done(r, `已驳回：${r.name}`);
        }, { errorBox: errors });
      });
      clear(box).append(form);
      form.querySelector("textarea").focus();
    });
    box.append(ok, no);
    return box;
  };

  const done = (r, message) => {
    state.items = state.items.filter((x) => x.registration_id !== r.registration_id);
    state.selected.delete(r.registration_id);
    flash(message, "success");
    renderList();
  };

  const bulkApprove = async (button) => {
    const ids = [...state.selected];
    const chunks = [];
    for (let i = 0; i < ids.length; i += 50) chunks.push(ids.slice(i, i + 50));
    let handled = 0;
    let approved = 0;
    const failures = [];
    clear(bulkProgress).append(progress(0, ids.length, "批量审核进度"));
    await busy(button, async () => {
      for (const chunk of chunks) {
        const res = await post("/admin/registrations/bulk-approve", { registration_ids: chunk });
        approved += res.approved;
        for (const r of res.results || []) {
          if (r.ok) state.items = state.items.filter((x) => x.registration_id !== r.registration_id);
          else failures.push(`${r.registration_id}：${r.message || r.code || "失败"}`);
          state.selected.delete(r.registration_id);
        }
        handled += chunk.length;
        clear(bulkProgress).append(progress(handled, ids.length, "批量审核进度"));
      }
    });
    clear(bulkProgress).append(h("p", { class: `alert ${failures.length ? "alert-error" : "alert-success"}`, role: "status" },
      `批量通过 ${approved} 条${failures.length ? `，${failures.length} 条未通过：${failures.join("；")}` : ""}`));
    renderList();
  };

  const load = async (append) => {
    const params = new URLSearchParams({ status: state.status, limit: "100" });
    if (append && state.next) params.set("next_token", state.next);
    const res = await get(`/admin/registrations?${params}`);
    state.items = append ? state.items.concat(res.registrations) : res.registrations;
    state.next = res.next_token || null;
    renderList();
  };
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    state.status = formValues(filterForm).status || "pending";
    state.selected.clear();
    busy(filterForm.querySelector("button"), () => load(false));
  });
  filterForm.addEventListener("input", (e) => {
    if (e.target.name === "q" || e.target.name === "tier") renderList();
  });
  filterForm.querySelector("[name=status]").addEventListener("change", () => filterForm.requestSubmit());
  more.addEventListener("click", () => busy(more, () => load(true)));
  await load(false);
}

// --- admin: the edition form ------------------------------------------------------------
// Times are typed and shown in Beijing time. A window's start is a date and time; its end is
// the last day it still allows and, optionally, a time on it (blank = that day's 24:00, as
// the notice writes "至 4月10日 24:00"); the page sends the exclusive instant with +08:00.
const WINDOWS = [
  ["registration", "报名"], ["refund", "退费申请"], ["learning", "在线学习"],
  ["questionnaire", "问卷填写"], ["certificate", "证书下载"],
];
const pad2 = (n) => String(n).padStart(2, "0");
const dateOf = (p) => `${p.y}-${pad2(p.mo)}-${pad2(p.d)}`;

/** "2026-04-03T00:00:00+08:00" → "2026-04-03T00:00" (a datetime-local in Beijing time). */
function localInput(iso) {
  if (!iso) return "";
  const p = beijing(iso);
  return `${dateOf(p)}T${pad2(p.hh)}:${pad2(p.mm)}`;
}

/** An exclusive end → {day: its last day, time: "" for 24:00 or "HH:MM"}. */
function endInputs(iso) {
  if (!iso) return { day: "", time: "" };
  const p = beijing(iso);
  if (p.hh === 0 && p.mm === 0 && p.ss === 0) return { day: dateOf(beijing(new Date(iso).getTime() - 1)), time: "" };
  return { day: dateOf(p), time: `${pad2(p.hh)}:${pad2(p.mm)}` };
}

/** The last day (and time, blank = 24:00) → the exclusive instant, "+08:00". */
function endInstant(day, time) {
  if (!day) return null;
  if (time) return `${day}T${time}:00+08:00`;
  const [y, m, d] = day.split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return `${next.getUTCFullYear()}-${pad2(next.getUTCMonth() + 1)}-${pad2(next.getUTCDate())}T00:00:00+08:00`;
}

const startInstant = (value) => (value ? `${value}:00+08:00` : null);
const fenOf = (text) => Math.round(Number(text) * 100);
const yuanInput = (fen) => (fen / 100).toFixed(2);

function rowsEditor(id, prefix, caption, columns, rows, blank) {
  // An editable list: each row a fieldset of inputs named `${prefix}_${key}`, plus 删除/添加.
  const wrap = h("div", { class: "rows-editor", id });
  const body = h("div", { class: "rows-editor-body" });
  const addRow = (values) => {
    const row = h("fieldset", { class: "rows-editor-row" }, h("legend", {}, `${caption} ${body.children.length + 1}`));
    for (const [key, label, opts = {}] of columns) {
      row.append(field(label, `${prefix}_${key}`, { value: values[key] ?? "", kind: opts.kind || "text", required: opts.required, attrs: opts.attrs || {} }));
    }
    const remove = h("button", { type: "button", class: "btn btn-small btn-danger" }, `删除此${caption}`);
    remove.addEventListener("click", () => {
      row.remove();
      [...body.children].forEach((r, i) => (r.querySelector("legend").textContent = `${caption} ${i + 1}`));
      wrap.dispatchEvent(new Event("input", { bubbles: true }));
    });
    row.append(remove);
    body.append(row);
  };
  rows.forEach(addRow);
  const add = h("button", { type: "button", class: "btn btn-small" }, `添加${caption}`);
  add.addEventListener("click", () => {
    addRow(blank());
    body.lastChild.querySelector("input")?.focus();
    wrap.dispatchEvent(new Event("input", { bubbles: true }));
  });
  wrap.append(body, add);
  wrap.values = () => [...body.children].map((row) => Object.fromEntries(
    columns.map(([key]) => [key, row.querySelector(`[name="${prefix}_${key}"]`).value.trim()])));
  return wrap;
}

async function editionPage(main) {
  const current = await get("/editions/current", { auth: false });
  const eid = current.edition_id;
  const doc = await get(`/admin/editions/${encodeURIComponent(eid)}`);
  let version = doc.version;
  delete doc.version;
  const errors = h("div", { class: "form-errors", id: "edition-errors" });

  const text = (label, name, value, opts = {}) => field(label, name, { value: value ?? "", ...opts });
  const basics = h("fieldset", {}, h("legend", {}, "基本信息"),
    text("培训名称", "title", doc.title, { required: true }),
    text("主办单位", "organizer", doc.organizer, { required: true }),
    text("通知文号", "notice_no", doc.notice_no),
    field("培训简介（首页显示）", "summary", { kind: "textarea", value: doc.summary || "" }),
    text("培训对象", "audience", doc.audience));

  const windowBox = h("fieldset", { id: "edition-windows" }, h("legend", {}, "时间安排（北京时间）"),
    h("p", { class: "hint" }, "截止写最后一天；截止时刻留空表示当天 24:00（与通知写法一致，如“至 4月10日 24:00”）。"));
  for (const [key, label] of WINDOWS) {
    const w = doc.windows[key] || {};
    const end = endInputs(w.closes);
    const said = h("p", { class: "hint window-said", id: `said-${key}` });
    const group = h("div", { class: "window-row", dataset: { window: key } }, h("h3", {}, label),
      key === "refund" ? h("p", { class: "hint" }, "自交费起可申请") : field(`${label}开始`, `${key}.opens`, { kind: "datetime-local", value: localInput(w.opens), required: true }),
      field(`${label}最后一天`, `${key}.closes_day`, { kind: "date", value: end.day, required: true }),
      field(`${label}截止时刻（留空 = 24:00）`, `${key}.closes_time`, { kind: "time", value: end.time }),
      said);
    windowBox.append(group);
  }

  const fees = h("fieldset", {}, h("legend", {}, "费用与规则"),
    h("div", { class: "cols" },
      text("会员费用（元）", "member_yuan", yuanInput(doc.fees.member_fen), { kind: "number", required: true, attrs: { min: "0.01", step: "0.01", inputmode: "decimal" } }),
      text("非会员费用（元）", "non_member_yuan", yuanInput(doc.fees.non_member_fen), { kind: "number", required: true, attrs: { min: "0.01", step: "0.01", inputmode: "decimal" } })),
    h("div", { class: "cols" },
      text("会员会费年度", "membership_dues_year", doc.membership_dues_year, { kind: "number", required: true, attrs: { min: 2000, max: 2100 } }),
      text("银行转账审核（工作日）", "transfer_review_working_days", doc.transfer_review_working_days, { kind: "number", required: true, attrs: { min: 1, max: 30 } })),
    h("div", { class: "cols" },
      text("发票申请期限（交费后月数）", "invoice_window_months", doc.invoice_window_months, { kind: "number", required: true, attrs: { min: 1, max: 12 } }),
      text("证书学时", "certificate_hours", doc.certificate_hours, { kind: "number", required: true, attrs: { min: 0.5, step: 0.5 } })),
    text("学习完成比例（%）", "required_pct", Math.round(doc.required_share * 100), { kind: "number", required: true, attrs: { min: 1, max: 100 }, hint: "视频观看达到此比例即为学习完" }));

  const videoKeys = Object.fromEntries(doc.courses.map((c) => [c.course_id, c.video_key]));
  const courses = rowsEditor("edition-courses", "course", "课程", [
    ["course_id", "课程编号", { required: true, attrs: { pattern: "[A-Za-z0-9_-]{1,32}" } }],
    ["title", "课程名称", { required: true }],
    ["hours", "学时", { kind: "number", required: true, attrs: { min: 0.5, step: 0.5 } }],
    ["duration_s", "时长（秒）", { kind: "number", required: true, attrs: { min: 1, step: 1 } }],
  ], doc.courses, () => ({ course_id: `C${pad2(courses.values().length + 1)}`, title: "", hours: 3, duration_s: 5400 }));
  const contacts = rowsEditor("edition-contacts", "contact", "联系人", [
    ["role", "事项", { required: true }], ["name", "联系人", { required: true }],
    ["phone", "电话", { kind: "tel" }], ["email", "邮箱", { kind: "email" }],
  ], doc.contacts, () => ({ role: "", name: "", phone: "", email: "" }));

  const bank = doc.bank_account;
  const account = h("fieldset", {}, h("legend", {}, "汇款账户"),
    h("div", { class: "cols" }, text("户名", "account_name", bank.account_name, { required: true }), text("开户行", "bank_name", bank.bank_name, { required: true })),
    h("div", { class: "cols" }, text("账号", "account_no", bank.account_no, { required: true, attrs: { inputmode: "numeric" } }), text("行号", "bank_code", bank.bank_code, { required: true })),
    h("div", { class: "cols" }, text("汇款附言前缀", "memo_prefix", bank.memo_prefix, { required: true }), text("财务邮箱", "finance_email", doc.finance_email, { kind: "email", required: true })));

  const save = h("button", { type: "submit", class: "btn btn-primary" }, "保存");
  const form = h("form", { class: "stack edition-form", id: "edition-form", novalidate: true },
    h("p", { class: "hint" }, "修改后可在下方", h("a", { href: "#edition-preview-card" }, "首页预览"), "中查看学员看到的首页。"),
    errors, basics, windowBox, fees,
    h("fieldset", {}, h("legend", {}, `课程（${doc.courses.length} 门）`), courses),
    account, h("fieldset", {}, h("legend", {}, "联系方式"), contacts),
    h("p", { class: "hint" }, "问卷题目、证书样式、视频与发票设置保持原样（本页不修改）。"),
    h("div", { class: "toolbar" }, save));
  const preview = h("div", { class: "edition-preview", id: "edition-preview", "aria-live": "off" });

  // What the form says, as the edition document the API takes (everything else unchanged).
  const build = () => {
    const v = formValues(form);
    const windows = {};
    for (const [key] of WINDOWS) {
      windows[key] = { closes: endInstant(v[`${key}.closes_day`], v[`${key}.closes_time`]) };
      if (key !== "refund") windows[key].opens = startInstant(v[`${key}.opens`]);
    }
    return {
      ...doc,
      title: v.title || "", organizer: v.organizer || "", notice_no: v.notice_no || null,
      summary: v.summary || null, audience: v.audience || null, windows,
      fees: { member_fen: fenOf(v.member_yuan), non_member_fen: fenOf(v.non_member_yuan) },
      membership_dues_year: Number(v.membership_dues_year), transfer_review_working_days: Number(v.transfer_review_working_days),
      invoice_window_months: Number(v.invoice_window_months), certificate_hours: Number(v.certificate_hours),
      required_share: Number(v.required_pct) / 100,
      courses: courses.values().map((c) => ({ course_id: c.course_id, title: c.title, hours: Number(c.hours),
        duration_s: Math.round(Number(c.duration_s)), ...(videoKeys[c.course_id] ? { video_key: videoKeys[c.course_id] } : {}) })),
      contacts: contacts.values().map((c) => ({ role: c.role, name: c.name, phone: c.phone || null, email: c.email || null })),
      bank_account: { account_name: v.account_name || "", bank_name: v.bank_name || "", account_no: v.account_no || "", bank_code: v.bank_code || "", memo_prefix: v.memo_prefix || "" },
      finance_email: v.finance_email || "",
    };
  };

  // The checks a person can fix before sending, in Chinese, naming the field.
  const check = (data) => {
    for (const el of form.querySelectorAll("[required]")) {
      if (!el.value.trim()) return { message: `请填写${el.labels[0]?.firstChild?.textContent || "必填项"}`, el };
    }
    for (const [name, label] of [["member_yuan", "会员费用"], ["non_member_yuan", "非会员费用"]]) {
      const el = form.querySelector(`[name=${name}]`);
      if (!(Number(el.value) > 0) || !/^\d+(\.\d{1,2})?$/.test(el.value.trim())) return { message: `${label}应为大于 0 的金额，最多两位小数，如 490.00`, el };
    }
    const order = [["registration", "learning", "报名须在在线学习开始前截止"]];
    for (const [a, b, message] of order) {
      if (data.windows[a].closes && data.windows[b].opens && new Date(data.windows[a].closes) > new Date(data.windows[b].opens)) {
        return { message, el: form.querySelector(`[name="${a}.closes_day"]`) };
      }
    }
    for (const [key, label] of WINDOWS) {
      const w = data.windows[key];
      if (w.opens && w.closes && new Date(w.opens) >= new Date(w.closes)) {
        return { message: `${label}的开始时间必须早于截止时间`, el: form.querySelector(`[name="${key}.closes_day"]`) };
      }
    }
    return null;
  };

  // The landing page's own renderer draws the preview (loaded with this page only).
  const landing = await import("./landing.js").catch((err) => {
    console.warn(err);
    return null;
  });
  const refresh = () => {
    let data;
    try {
      data = build();
    } catch {
      return;
    }
    for (const [key, label] of WINDOWS) {
      const w = data.windows[key];
      const said = form.querySelector(`#said-${key}`);
      said.textContent = w.closes ? `即：${label}${w.opens ? `自 ${dayText(w.opens)} 起，` : ""}${untilText(w.closes)}（北京时间）` : "";
    }
    const view = { ...current, ...data, courses: data.courses, total_hours: data.courses.reduce((a, c) => a + (c.hours || 0), 0),
      windows: { ...current.windows, ...Object.fromEntries(Object.entries(data.windows).map(([k, w]) => [k, { ...(current.windows[k] || {}), ...w }])) } };
    clear(preview);
    try {
      if (!landing) throw new Error("landing.js unavailable");
      preview.append(landing.landingView(view, { signedIn: false, now: new Date(current.now).getTime() }));
      preview.querySelectorAll("a").forEach((a) => { a.setAttribute("tabindex", "-1"); a.removeAttribute("href"); });
      preview.querySelectorAll("h1").forEach((x) => x.replaceWith(h("h3", { class: "preview-title" }, x.textContent)));
    } catch (err) {
      console.warn(err);
      preview.append(h("p", { class: "muted" }, "预览暂不可用：请先填写完整的时间。"));
    }
  };
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clear(errors);
    form.querySelectorAll("[aria-invalid]").forEach((x) => x.removeAttribute("aria-invalid"));
    const data = build();
    const problem = check(data);
    if (problem) {
      errors.append(h("div", { class: "alert alert-error", role: "alert" }, problem.message));
      problem.el?.setAttribute("aria-invalid", "true");
      problem.el?.focus();
      return;
    }
    busy(save, async () => {
      const res = await put(`/admin/editions/${encodeURIComponent(eid)}`, { edition: data, ...(version ? { expected_version: version } : {}) });
      version = res.version;
      Object.assign(doc, data);
      clear(errors).append(h("p", { class: "alert alert-success", role: "status" },
        `已保存（版本 ${res.version}）。报名${untilText(data.windows.registration.closes)}。`));
    }, { errorBox: errors });
  });

  main.append(h("h1", {}, "届次设置"),
    h("div", { class: "edition-layout" },
      card(`${current.title}（${eid}）`, form),
      h("div", { id: "edition-preview-card" },
        card("首页预览（按当前填写内容）", h("p", { class: "hint" }, "学员看到的首页即如下所示；保存后生效。"), preview))));
  refresh();
}

// --- admin: the members roster --------------------------------------------------------
function filenameOf(resp, fallback) {
  const cd = resp.headers.get("Content-Disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      return fallback;
    }
  }
  const plain = /filename="([^"]+)"/i.exec(cd);
  return plain ? plain[1] : fallback;
}

/** Download a file the API answers (XLSX) under the Chinese name it gives. */
async function downloadExport(path, fallback, button) {
  await busy(button, async () => {
    const resp = await fetch(API_BASE + path, { headers: { Authorization: `Bearer ${getSession().token}` } });
    if (!resp.ok) {
      const data = await resp.json().catch(() => null);
      throw Object.assign(new Error((data && data.Message) || `下载失败（HTTP ${resp.status}）`), { status: resp.status });
    }
    const blob = await resp.blob();
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: filenameOf(resp, fallback) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}

async function rosterPage(main) {
  const file = h("input", { type: "file", id: "roster-file", name: "roster", accept: ".csv,.xlsx", "aria-describedby": "roster-hint" });
  const bar = h("div", {});
  const out = h("div", { role: "status", id: "roster-result" });
  const template = h("button", { type: "button", class: "btn", id: "roster-template" }, "下载导入模板（XLSX）");
  template.addEventListener("click", () => downloadExport("/admin/members/template", "会员名册导入模板.xlsx", template));
  const importButton = h("button", { type: "submit", class: "btn btn-primary" }, "导入");
  const form = h("form", { class: "stack" },
    h("div", { class: "toolbar" }, template),
    h("div", { class: "field" }, h("label", { for: "roster-file" }, "会员名册（CSV 或 XLSX）"), file,
      h("p", { class: "hint", id: "roster-hint" }, "列：姓名、邮箱、手机号、会员号、会费年度、审批时间（北京时间）。同一会员号的行会被更新。出错时提示的行号与 Excel 左侧行号一致（表头为第 1 行）。")),
    importButton, bar, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) {
      showError({ message: "请选择名册文件", field: "roster", status: 400 }, out);
      return;
    }
    busy(importButton, async () => {
      const res = await upload("/admin/members/import", f, sheetType(f), (x) => clear(bar).append(progress(x, 1, "上传进度")));
      clear(out).append(h("p", { class: "alert alert-success" }, `已导入 ${res.upserted} 行`));
      list(false);
    }, { errorBox: out });
  });

  const state = { q: "", next: null, items: [] };
  const search = h("form", { class: "toolbar roster-search", role: "search" },
    field("查找会员", "q", { hint: "邮箱或手机号精确查找；姓名或会员号的一部分也可" }),
    h("button", { type: "submit", class: "btn" }, "查找"));
  const count = h("p", { class: "muted", role: "status", id: "roster-count" });
  const listBox = h("div", { id: "roster-list" });
  const more = h("button", { type: "button", class: "btn", id: "roster-more", hidden: true }, "加载更多");
  const render = () => {
    count.textContent = `${state.q ? `“${state.q}”：` : ""}已显示 ${state.items.length} 位会员${state.next ? "（还有更多）" : ""}`;
    clear(listBox).append(table(["会员号", "姓名", "邮箱", "手机号", "会费年度", "入会审批时间"],
      state.items.map((m) => [m.member_no, m.name, m.email || "—", m.phone || "—", String(m.dues_year), m.approved_at ? when(m.approved_at) : "未审批"]),
      "会员名册"));
    more.hidden = !state.next;
  };
  const list = async (append) => {
    const params = new URLSearchParams({ limit: "50" });
    if (state.q) params.set("q", state.q);
    if (append && state.next) params.set("next_token", state.next);
    const res = await get(`/admin/members?${params}`);
    state.items = append ? state.items.concat(res.members) : res.members;
    state.next = res.next_token || null;
    render();
  };
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    state.q = formValues(search).q || "";
    busy(search.querySelector("button"), () => list(false));
  });
  more.addEventListener("click", () => busy(more, () => list(true)));
  main.append(h("h1", {}, "会员名册"), card("导入名册", form), card("会员列表", search, count, listBox, more));
  await list(false);
}

// --- admin: report and exports ----------------------------------------------------------
const EXPORTS = [
  ["registrations", "报名名单"], ["payments", "交费记录"], ["refunds", "退费记录"],
  ["invoices", "发票记录"], ["certificates", "证书发放"],
];

function exportsCard(editionId, { questionnaire = false } = {}) {
  const q = `?edition_id=${encodeURIComponent(editionId)}`;
  const buttons = EXPORTS.map(([name, label]) => {
    const b = h("button", { type: "button", class: "btn", dataset: { export: name } }, `${label}（XLSX）`);
    b.addEventListener("click", () => downloadExport(`/admin/exports/${name}${q}`, `${label}-${editionId}.xlsx`, b));
    return b;
  });
  if (questionnaire) {
    const b = h("button", { type: "button", class: "btn", dataset: { export: "questionnaire" } }, "问卷结果（XLSX）");
    b.addEventListener("click", () => downloadExport(`/admin/questionnaire/export${q}`, `问卷-${editionId}.xlsx`, b));
    buttons.push(b);
  }
  return card("导出（Excel）", h("p", { class: "hint" }, "金额单位为元（数字，可直接求和）；时间为北京时间。"),
    h("div", { class: "toolbar exports" }, buttons));
}

async function reportPage(main) {
  const r = await get("/admin/reports/summary");
  main.append(h("h1", {}, "统计报表"), h("p", { class: "muted" }, `${r.title} · 生成于 ${when(r.generated_at)}（北京时间）`));
  const funnelBox = h("div", { class: "chart chart-bars", id: "chart-funnel" });
  main.append(card("报名到证书", funnelBox,
    table(["环节", "人数"], r.funnel.map((s) => [s.label, String(s.count)]), "报名到证书各环节人数", { reflow: false })));
  const days = r.registrations_per_day.map((d) => ({ label: d.date.slice(5), value: d.count }));
  const dailyBox = h("div", { class: "chart", id: "chart-daily" });
  main.append(card("每日报名数", dailyBox));

  const ch = r.income_by_channel;
  const incomeBox = h("div", { class: "chart", id: "chart-income" });
  const totals = h("dl", { class: "kv income-totals", id: "income-totals" },
    h("dt", {}, "收款总额（毛收入）"), h("dd", {}, yuan(r.gross_total_fen)),
    h("dt", {}, "已退款"), h("dd", {}, yuan(r.refunded_total_fen)),
    h("dt", {}, "退款处理中"), h("dd", {}, yuan(r.refunding_total_fen)),
    h("dt", {}, "净收入（收款总额 − 已退款）"), h("dd", {}, h("strong", {}, yuan(r.net_total_fen))));
  main.append(card("各渠道收入：毛收入与净收入", totals, incomeBox,
    table(["渠道", "入账订单", "收款总额（毛收入）", "已退款", "退款处理中", "净收入"],
      ch.map((i) => [i.label, String(i.orders), yuan(i.gross_fen), `${yuan(i.refunded_fen)}（${i.refunded_orders} 笔）`, yuan(i.refunding_fen), yuan(i.net_fen)]),
      "各渠道收入（元）"),
    h("p", { class: "hint" }, "毛收入：已入账订单的金额（含其后退费的）；净收入：毛收入减去已完成的退款。重复交费、逾期到账等自动退回的款项不计入收入。")));
  main.append(exportsCard(r.edition_id, { questionnaire: true }));

  // Charts last: the numbers are on the page already if the library cannot load.
  try {
    await Promise.all([
      funnelChart(funnelBox, r.funnel),
      lineChart(dailyBox, days, { title: "每日报名数" }),
      barChart(incomeBox, ch.map((i) => i.label), [
        { name: "毛收入", values: ch.map((i) => i.gross_fen / 100) },
        { name: "已退款", values: ch.map((i) => i.refunded_fen / 100) },
        { name: "净收入", values: ch.map((i) => i.net_fen / 100) },
      ], { title: "各渠道收入（元）" }),
    ]);
  } catch (err) {
    for (const box of [funnelBox, dailyBox, incomeBox]) {
      if (!box.firstChild) box.append(h("p", { class: "muted" }, err.message || "图表加载失败"));
    }
  }
}

async function exportsPage(main) {
  const current = await get("/editions/current", { auth: false });
  main.append(h("h1", {}, "数据导出"), h("p", { class: "muted" }, `${current.title}：报名、交费、退费、发票、证书明细，用 Excel 打开。`),
    exportsCard(current.edition_id, { questionnaire: (getSession()?.roles || []).includes("admin") }));
}

export const pages = {
  review: { title: "报名审核", roles: ["reviewer", "admin"], render: reviewPage },
  edition: { title: "届次设置", roles: ["admin"], render: editionPage },
  roster: { title: "会员名册", roles: ["admin"], render: rosterPage },
  report: { title: "统计报表", roles: ["admin"], render: reportPage },
  exports: { title: "数据导出", roles: ["finance", "admin"], render: exportsPage },
};
