// Staff pages: the review queue (reviewer, admin); admin (the edition editor, the members
// roster import, the report with charts and exports). Finance is finance.js.
import { get, getSession, post, put, sheetType, upload } from "./api.js";
import { API_BASE } from "./config.js";
import { barChart, funnelChart, lineChart } from "./chart.js";
import { go } from "./app.js";
import {
  badge, busy, card, CHANNEL_LABELS, clear, field, flash, formValues, h, progress, showError, table, when, yuan,
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
  const listBox = h("div", { id: "review-list" });
  const more = h("button", { type: "button", class: "btn", hidden: true }, "加载更多");
  main.append(filterForm, card("审核队列", summary, bulkBar, bulkProgress, listBox, more));

  const visible = () => {
    const v = formValues(filterForm);
    const q = (v.q || "").toLowerCase();
    return state.items.filter((r) => (!q || `${r.name} ${r.unit_name} ${r.region} ${r.email}`.toLowerCase().includes(q))
      && (!v.tier || r.tier === v.tier));
  };

  const renderList = () => {
    const rows = visible();
    summary.textContent = `已加载 ${state.items.length} 条，显示 ${rows.length} 条${state.next ? "（还有更多）" : ""}`;
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
      bulkBar.append(h("label", { for: "select-all" }, all, " 全选当前显示"), bulk);
    }
    clear(listBox).append(table(
      [state.status === "pending" ? "选择" : "", "姓名", "单位 / 职务", "地区", "费用", "提交时间", "操作"],
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
    const box = h("div", { class: "row" });
    const ok = h("button", { type: "button", class: "btn btn-small btn-primary", "aria-label": `通过 ${r.name}` }, "通过");
    const no = h("button", { type: "button", class: "btn btn-small btn-danger", "aria-label": `驳回 ${r.name}` }, "驳回");
    ok.addEventListener("click", () => busy(ok, async () => {
      await post(`/admin/registrations/${encodeURIComponent(r.registration_id)}/approve`);
      done(r, `已通过：${r.name}`);
    }));
    no.addEventListener("click", () => {
      const form = h("form", { class: "stack" },
        field(`驳回 ${r.name} 的原因（学员可见）`, "reason", { kind: "textarea", required: true }),
        h("div", { class: "row" }, h("button", { type: "submit", class: "btn btn-small btn-danger" }, "确认驳回"),
          h("button", { type: "button", class: "btn btn-small", onclick: () => renderList() }, "取消")));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const reason = formValues(form).reason;
        if (!reason) {
          showError({ message: "请填写驳回原因", field: "reason" });
          return;
        }
        busy(form.querySelector("button[type=submit]"), async () => {
          await post(`/admin/registrations/${encodeURIComponent(r.registration_id)}/reject`, { reason });
          done(r, `已驳回：${r.name}`);
        });
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

// --- admin: edition editor -------------------------------------------------------------
async function editionPage(main) {
  const current = await get("/editions/current", { auth: false });
  const doc = await get(`/admin/editions/${encodeURIComponent(current.edition_id)}`);
  const version = doc.version;
  delete doc.version;
  const errors = h("div", { class: "form-errors", id: "edition-errors" });
  const area = h("textarea", { id: "edition-json", name: "edition", class: "code", spellcheck: "false", "aria-describedby": "edition-hint" });
  area.value = JSON.stringify(doc, null, 2);
  const form = h("form", { class: "stack" }, errors,
    h("div", { class: "field" }, h("label", { for: "edition-json" }, `届次 ${current.edition_id} 的完整数据（JSON）`), area,
      h("p", { class: "hint", id: "edition-hint" }, "时间须带时区（+08:00），金额单位为分；保存时按通知的先后顺序校验各时间窗口。")),
    h("button", { type: "submit", class: "btn btn-primary" }, "保存"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let data;
    try {
      data = JSON.parse(area.value);
    } catch (err) {
      showError({ message: `JSON 格式错误：${err.message}` }, errors);
      area.focus();
      return;
    }
    busy(form.querySelector("button"), async () => {
      const res = await put(`/admin/editions/${encodeURIComponent(current.edition_id)}`, { edition: data, ...(version ? { expected_version: version } : {}) });
      clear(errors).append(h("p", { class: "alert alert-success", role: "status" }, `已保存（版本 ${res.version}）`));
    }, { errorBox: errors });
  });
  main.append(h("h1", {}, "届次设置"), card(current.title, form));
}

// --- admin: roster ---------------------------------------------------------------------
async function rosterPage(main) {
  const file = h("input", { type: "file", id: "roster-file", name: "roster", accept: ".csv,.xlsx" });
  const bar = h("div", {});
  const out = h("div", { role: "status" });
  const form = h("form", { class: "stack" },
    h("div", { class: "field" }, h("label", { for: "roster-file" }, "会员名册（CSV 或 XLSX）"), file,
      h("p", { class: "hint" }, "列：姓名、邮箱、手机、会员号、会费年度、入会审批时间。同一会员号的行会被更新。")),
    h("button", { type: "submit", class: "btn btn-primary" }, "导入"), bar, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) {
      showError({ message: "请选择名册文件", field: "roster" });
      return;
    }
    busy(form.querySelector("button"), async () => {
      const res = await upload("/admin/members/import", f, sheetType(f), (x) => clear(bar).append(progress(x, 1, "上传进度")));
      clear(out).append(h("p", { class: "alert alert-success" }, `已导入 ${res.upserted} 行`));
    }, { errorBox: out });
  });
  main.append(h("h1", {}, "会员名册"), card("导入名册", form));
}

// --- admin: report ---------------------------------------------------------------------
async function downloadExport(path, filename, button) {
  await busy(button, async () => {
    const resp = await fetch(API_BASE + path, { headers: { Authorization: `Bearer ${getSession().token}` } });
    if (!resp.ok) {
      const data = await resp.json().catch(() => null);
      throw Object.assign(new Error((data && data.Message) || `导出失败（HTTP ${resp.status}）`), { status: resp.status });
    }
    const blob = await resp.blob();
    const a = h("a", { href: URL.createObjectURL(blob), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
  });
}

async function reportPage(main) {
  const r = await get("/admin/reports/summary");
  main.append(h("h1", {}, "统计报表"), h("p", { class: "muted" }, `${r.title} · 生成于 ${when(r.generated_at)}`));
  main.append(card("报名到证书", h("div", { class: "chart", id: "chart-funnel" }, funnelChart(r.funnel))));
  main.append(card("每日报名数", h("div", { class: "chart", id: "chart-daily" },
    lineChart(r.registrations_per_day.map((d) => ({ label: d.date.slice(5), value: d.count })), { title: "每日报名数" }))));
  main.append(card(`各渠道收入（合计 ${yuan(r.income_total_fen)}）`,
    h("div", { class: "chart", id: "chart-income" }, barChart(r.income_by_channel.map((i) => ({ label: i.label, value: i.amount_fen / 100 })), { title: "各渠道收入（元）", unit: "元" })),
    table(["渠道", "订单数", "金额", "已退款"], r.income_by_channel.map((i) => [i.label, i.orders, yuan(i.amount_fen), `${i.refunded_orders} 单 ${yuan(i.refunded_fen)}`]), "各渠道收入")));
  const q = h("button", { type: "button", class: "btn" }, "导出问卷结果（XLSX）");
  q.addEventListener("click", () => downloadExport(`/admin/questionnaire/export?edition_id=${encodeURIComponent(r.edition_id)}`, `问卷-${r.edition_id}.xlsx`, q));
  main.append(card("导出", h("div", { class: "toolbar" }, q)));
}

export const pages = {
  review: { title: "报名审核", roles: ["reviewer", "admin"], render: reviewPage },
  edition: { title: "届次设置", roles: ["admin"], render: editionPage },
  roster: { title: "会员名册", roles: ["admin"], render: rosterPage },
  report: { title: "统计报表", roles: ["admin"], render: reportPage },
};
