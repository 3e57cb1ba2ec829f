// Staff pages: the review queue (reviewer, admin); finance (statement reconciliation, open
// transfers and group confirmations, refunds to complete, overdue transfers); admin (the
// edition editor, the members roster import, the report with charts and exports).
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

// --- finance ---------------------------------------------------------------------------
// Open transfer orders by id (filled by the open-transfers section): shown next to the
// statement's proposed matches, so finance can compare memo and amount before confirming.
const openOrders = new Map();

function orderSummary(orderId) {
  const o = openOrders.get(orderId);
  if (!o) return orderId;
  return h("div", {}, h("div", {}, orderId), h("div", { class: "small muted" },
    `${yuan(o.amount_fen)} · ${o.kind === "group" ? `集体 ${o.members} 人` : o.payer_name || ""}`),
  h("div", { class: "small memo" }, o.memo || ""));
}

async function confirmTransfer(orderId, body) {
  return post(`/admin/orders/${encodeURIComponent(orderId)}/confirm-transfer`, body);
}

function statementSection() {
  const file = h("input", { type: "file", id: "statement-file", name: "statement", accept: ".csv,.xlsx,text/csv" });
  const bar = h("div", {});
  const out = h("div", { id: "statement-result" });
  const form = h("form", { class: "stack" },
    h("div", { class: "field" }, h("label", { for: "statement-file" }, "银行流水文件（CSV 或 XLSX）"), file,
      h("p", { class: "hint" }, "需含 交易日期、收入金额（或贷方金额）、对方户名、附言/摘要、交易流水号 等列。")),
    h("button", { type: "submit", class: "btn btn-primary" }, "上传并匹配"), bar);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) {
      showError({ message: "请选择银行流水文件", field: "statement" });
      return;
    }
    busy(form.querySelector("button"), async () => {
      const res = await upload("/admin/bank-statements", f, sheetType(f), (x) => clear(bar).append(progress(x, 1, "上传进度")));
      renderMatches(out, res);
    });
  });
  return card("银行流水对账", form, out);
}

function confirmButton(label, orderId, body, onDone) {
  const btn = h("button", { type: "button", class: "btn btn-small btn-primary" }, label);
  btn.addEventListener("click", () => busy(btn, async () => {
    const order = await confirmTransfer(orderId, body);
    onDone(order);
  }));
  return btn;
}

function correctForm(lineId, onDone) {
  const form = h("form", { class: "row" },
    h("label", { class: "small", for: `fix-${lineId}` }, "改为订单"),
    h("input", { id: `fix-${lineId}`, name: "order_id", style: "width:9rem", autocomplete: "off" }),
    h("button", { type: "submit", class: "btn btn-small" }, "确认"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const orderId = formValues(form).order_id;
    if (!orderId) {
      showError({ message: "请输入订单号", field: "order_id" });
      return;
    }
    busy(form.querySelector("button"), async () => onDone(await confirmTransfer(orderId, { line_id: lineId })));
  });
  return form;
}

function renderMatches(out, res) {
  clear(out);
  const doneCell = (order) => h("span", { class: "badge badge-paid" }, `已确认 ${order.order_id}`);
  const replaceWith = (cell) => (order) => {
    clear(cell).append(doneCell(order));
    flash(`已确认到账：订单 ${order.order_id}`, "success");
  };
  out.append(h("p", { role: "status", id: "statement-summary" },
    `新导入 ${res.imported ?? "—"} 行，已导入过 ${res.known ?? 0} 行；建议匹配 ${res.matches.length}，待定 ${res.ambiguous.length}，未匹配 ${res.unmatched.length}。`));
  out.append(h("h3", {}, "建议匹配（请核对后确认）"));
  out.append(table(["流水", "订单（金额 · 付款人 · 附言）", "可信度", "操作"], res.matches.map((m) => {
    const cell = h("div", { class: "stack" });
    cell.append(confirmButton("确认到账", m.order_id, { line_id: m.line_id }, replaceWith(cell)), correctForm(m.line_id, replaceWith(cell)));
    return [m.line_id, orderSummary(m.order_id), m.confidence === "high" ? "高" : "中", cell];
  }), "建议匹配"));
  if (res.ambiguous.length) {
    out.append(h("h3", {}, "待定（多个可能的订单）"));
    out.append(table(["流水", "金额 / 附言", "候选订单", "操作"], res.ambiguous.map((a) => {
      const cell = h("div", { class: "stack" });
      (a.candidates || []).forEach((c) => cell.append(confirmButton(`确认为 ${c.order_id}`, c.order_id, { line_id: a.line_id }, replaceWith(cell))));
      cell.append(correctForm(a.line_id, replaceWith(cell)));
      return [a.line_id, `${yuan(a.amount_fen)} ${a.payer_name || ""} ${a.memo || ""}`, (a.candidates || []).map((c) => c.order_id).join("、"), cell];
    }), "待定"));
  }
  if (res.unmatched.length) {
    out.append(h("h3", {}, "未匹配"));
    out.append(table(["流水", "金额", "户名", "附言", "指定订单"], res.unmatched.map((u) => {
      const cell = h("div", {});
      cell.append(correctForm(u.line_id, replaceWith(cell)));
      return [u.line_id, yuan(u.amount_fen), u.payer_name || "", u.memo || "", cell];
    }), "未匹配"));
  }
  if ((res.already_credited || []).length) {
    out.append(h("p", { class: "small muted" }, `已入账过的流水：${res.already_credited.map((x) => `${x.bank_serial}→${x.order_id}`).join("、")}`));
  }
}

async function openTransfersSection() {
  const res = await get("/admin/transfers/open");
  openOrders.clear();
  for (const o of res.orders) openOrders.set(o.order_id, o);
  const body = h("div", {});
  const manual = h("form", { class: "filters", "aria-label": "无流水时按订单确认" },
    field("订单号", "order_id", { required: true }),
    field("银行流水号", "bank_serial", { required: true }),
    field("到账金额（元）", "amount", { kind: "number", required: true, attrs: { step: "0.01", min: "0" } }),
    h("div", { class: "field" }, h("button", { type: "submit", class: "btn" }, "确认到账")));
  manual.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = formValues(manual);
    const fen = Math.round(Number(v.amount) * 100);
    if (!v.order_id || !v.bank_serial || !(fen > 0)) {
      showError({ message: "请填写订单号、银行流水号和金额", field: !v.order_id ? "order_id" : !v.bank_serial ? "bank_serial" : "amount" });
      return;
    }
    busy(manual.querySelector("button"), async () => {
      const order = await confirmTransfer(v.order_id, { bank_serial: v.bank_serial, amount_fen: fen });
      flash(`已确认到账：订单 ${order.order_id}`, "success");
      go("finance");
    });
  });
  const pick = (o) => {
    const btn = h("button", { type: "button", class: "btn btn-small", "aria-label": `确认订单 ${o.order_id} 的到账` }, "确认到账…");
    btn.addEventListener("click", () => {
      manual.querySelector("[name=order_id]").value = o.order_id;
      manual.querySelector("[name=amount]").value = (o.amount_fen / 100).toFixed(2);
      manual.querySelector("[name=bank_serial]").focus();
    });
    return btn;
  };
  body.append(table(["订单", "类型", "金额", "附言", "人数", "凭证 / 名单", "审核截止", ""], res.orders.map((o) => [
    o.order_id, o.kind === "group" ? `集体（${o.unit_name}）` : `个人（${o.payer_name}）`, yuan(o.amount_fen),
    h("span", { class: "memo" }, o.memo || ""), o.members,
    o.kind === "group" ? `${o.voucher_uploaded ? "凭证✓" : "凭证✗"} ${o.member_list_uploaded ? "名单✓" : "名单✗"}` : "—",
    when(o.review_due_at), pick(o)]), "待确认的银行转账"),
  h("h3", {}, "按订单确认（没有流水文件时）"), manual);
  return card(`待确认转账与集体交费（${res.orders.length}）`, body);
}

async function refundsSection() {
  const [requested, failed] = await Promise.all([get("/admin/refunds?status=requested"), get("/admin/refunds?status=failed")]);
  const items = [...requested.refunds, ...failed.refunds];
  const rows = items.map((r) => {
    const form = h("form", { class: "row" },
      h("label", { class: "small", for: `rs-${r.refund_id}` }, "退款流水号"),
      h("input", { id: `rs-${r.refund_id}`, name: "bank_serial", style: "width:10rem", required: true }),
      h("button", { type: "submit", class: "btn btn-small" }, "登记已退款"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const serial = formValues(form).bank_serial;
      if (!serial) {
        showError({ message: "请填写退款的银行流水号", field: "bank_serial" });
        return;
      }
      busy(form.querySelector("button"), async () => {
        await post(`/admin/refunds/${encodeURIComponent(r.refund_id)}/complete`, { bank_serial: serial });
        clear(form).append(badge("done"));
        flash(`退款 ${r.refund_id} 已登记完成`, "success");
      });
    });
    return [r.refund_id, r.order_id, yuan(r.amount_fen), CHANNEL_LABELS[r.channel] || r.channel || "", badge(r.status), r.reason || r.kind || "", form];
  });
  return card(`待办退款（${items.length}）`, table(["退款", "订单", "金额", "原渠道", "状态", "原因", "办理"], rows, "待办退款"));
}

async function overdueSection() {
  const res = await get("/admin/orders/overdue-transfers");
  return card(`超过审核期的转账（${res.orders.length}）`, table(["订单", "金额", "附言", "创建", "审核截止"],
    res.orders.map((o) => [o.order_id, yuan(o.amount_fen), o.memo || "", when(o.created_at), when(o.review_due_at)]), "逾期转账"));
}

async function financePage(main) {
  main.append(h("h1", {}, "财务"), statementSection());
  const sections = await Promise.all([openTransfersSection(), refundsSection(), overdueSection()]);
  main.append(...sections);
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
  finance: { title: "财务", roles: ["finance", "admin"], render: financePage },
  edition: { title: "届次设置", roles: ["admin"], render: editionPage },
  roster: { title: "会员名册", roles: ["admin"], render: rosterPage },
  report: { title: "统计报表", roles: ["admin"], render: reportPage },
};
