"""The staff's screens in Chromium, on a phone (390×844) and a desktop (1366×900): the
edition form in Beijing time (typed in a browser set to London time, so nothing leans on
the computer's zone) with its landing-page preview; the roster's template, import with
Excel's row numbers, list and search; the report drawn by ECharts (loaded only there) with
gross and net labelled; the five XLSX exports downloaded and opened; the review queue on
a phone with 通过/驳回 in reach and 加载更多 only when there is more."""
from __future__ import annotations

import json
from io import BytesIO
from typing import Any, Iterator

import pytest

from tests.browser.conftest import ACTION_TIMEOUT_MS, Page, unique_email
from tests.browser.test_staff_and_unit import trainee

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def london_page(browser: Any, stack: Any) -> Iterator[Any]:
    """Factory: a page in a browser whose clock is set to London time (an admin abroad)."""
    made: list[tuple[Any, Page]] = []

    def make(width: int, height: int) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  timezone_id="Europe/London")
        ctx.set_default_timeout(ACTION_TIMEOUT_MS)
        page = Page(ctx.new_page(), stack.base)
        made.append((ctx, page))
        return page

    yield make
    try:
        for _, page in made:
            page.check_console()
    finally:
        for ctx, _ in made:
            ctx.close()


@pytest.fixture
def edition_restored(stack: Any) -> Iterator[dict[str, Any]]:
    """The edition as it was, put back after the test (other tests share the stack)."""
    admin = stack.staff("admin")
    doc = stack.ok("GET", "/admin/editions/2026", token=admin)
    doc.pop("version", None)
    yield doc
    stack.ok("PUT", "/admin/editions/2026", {"edition": doc}, token=admin)


def test_edition_form_in_beijing_time_with_a_preview(stack, london_page, edition_restored):
    stack.set_clock("2026-04-05T10:00:00+08:00")
    page = london_page(**DESKTOP)
    p = page.p
    page.sign_in(stack, stack.staff("admin"))
    page.goto("#/edition")
    form = p.locator("#edition-form")
    form.wait_for()
    # Then the registration window reads as the notice writes it, in Beijing time
    assert p.get_by_label("报名开始").input_value() == "2026-04-03T00:00"
    assert p.get_by_label("报名最后一天").input_value() == "2026-04-10"
    assert p.get_by_label("报名截止时刻（留空 = 24:00）").input_value() == ""
    assert "至 2026年4月10日 24:00" in p.locator("#said-registration").inner_text()
    assert "Z" not in p.locator("#edition-windows").inner_text()
    # And the preview shows the landing page built from the form
    preview = p.locator("#edition-preview")
    assert "图书馆史" in preview.inner_text() and "¥400.00" in preview.inner_text()
    page.shot("60-staff-edition-desktop")

    # When the admin types a fee that is not an amount, the page says so before sending
    fee = p.locator("[name=member_yuan]")
    fee.fill("0")
    p.get_by_role("button", name="保存").click()
    assert "会员费用" in p.locator("#edition-errors [role=alert]").inner_text()
    # When a window breaks the notice's order the server's Chinese reason is shown
    fee.fill("380.00")
    p.get_by_label("问卷填写最后一天").fill("2026-06-20")
    page.expect_http_error(1)
    p.get_by_role("button", name="保存").click()
    assert "问卷必须在在线学习结束前" in p.locator("#edition-errors [role=alert]").inner_text()

    # When they move the registration's last day and the fee, and save
    p.get_by_label("问卷填写最后一天").fill("2026-06-12")
    p.get_by_label("报名最后一天").fill("2026-04-09")
    assert "至 2026年4月9日 24:00" in p.locator("#said-registration").inner_text()
    assert "¥380.00" in preview.inner_text()  # the preview follows the form
    p.get_by_role("button", name="保存").click()
    p.locator("#edition-errors [role=status]").wait_for()
    assert "已保存" in p.locator("#edition-errors").inner_text()
    # Then the same Beijing instants are stored, whatever the browser's own zone
    current = stack.ok("GET", "/editions/current")
    assert current["windows"]["registration"]["closes"] == "2026-04-10T00:00:00+08:00"
    assert current["windows"]["registration"]["opens"] == "2026-04-03T00:00:00+08:00"
    assert current["windows"]["questionnaire"]["closes"] == "2026-06-13T00:00:00+08:00"
    assert current["fees"]["member_fen"] == 38000
    kept = [(c["course_id"], c["title"], c["hours"], c["duration_s"]) for c in edition_restored["courses"]]
    assert [(c["course_id"], c["title"], c["hours"], c["duration_s"]) for c in current["courses"]] == kept

    phone = london_page(**PHONE)
    phone.sign_in(stack, stack.staff("admin"))
    phone.goto("#/edition")
    phone.p.locator("#edition-form").wait_for()
    phone.shot("61-staff-edition-phone")
    phone.assert_fits()


def test_roster_template_import_with_excel_row_numbers_list_and_search(stack, new_page, tmp_path):
    from openpyxl import load_workbook
    page = new_page(**PHONE)
    p = page.p
    page.sign_in(stack, stack.staff("admin"))
    page.goto("#/roster")
    p.locator("#roster-count").wait_for()
    # When the admin downloads the template
    with p.expect_download() as download:
        p.get_by_role("button", name="下载导入模板（XLSX）").click()
    assert download.value.suggested_filename == "会员名册导入模板.xlsx"
    book = load_workbook(BytesIO(download.value.path().read_bytes()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "邮箱", "手机号", "会员号", "会费年度", "审批时间"]
    # and fills it in (the second person without a member number)
    tag = unique_email("r")[2:8]
    first, second = unique_email("roster"), unique_email("roster")
    sheet.append([f"钱{tag}", first, None, f"R-{tag}-1", 2026, "2026-03-01 09:00"])
    sheet.append([f"孙{tag}", second, None, None, 2026, None])
    path = tmp_path / "名册.xlsx"
    book.save(path)
    p.get_by_label("会员名册（CSV 或 XLSX）").set_input_files(str(path))
    page.expect_http_error(1)
    p.get_by_role("button", name="导入", exact=True).click()
    # Then the error names the row as Excel numbers it (the header is row 1)
    alert = p.locator("#roster-result [role=alert]")
    alert.wait_for()
    assert "第 3 行（表头为第 1 行）" in alert.inner_text() and "会员号" in alert.inner_text()
    # And once fixed it imports, and the list shows them
    sheet.cell(row=3, column=4, value=f"R-{tag}-2")
    book.save(path)
    p.get_by_label("会员名册（CSV 或 XLSX）").set_input_files(str(path))
    p.get_by_role("button", name="导入", exact=True).click()
    p.get_by_text("已导入 2 行").wait_for()
    # When they search by a part of the name, then by e-mail
    p.get_by_label("查找会员").fill(tag)
    p.get_by_role("button", name="查找").click()
    p.locator("#roster-count", has_text=f"“{tag}”：已显示 2 位会员").wait_for()
    assert f"R-{tag}-1" in p.locator("#roster-list").inner_text()
    p.get_by_label("查找会员").fill(second)
    p.get_by_role("button", name="查找").click()
    p.locator("#roster-count", has_text="已显示 1 位会员").wait_for()
    assert f"孙{tag}" in p.locator("#roster-list").inner_text()
    assert not p.locator("#roster-more").is_visible()
    page.shot("62-staff-roster-phone")
    page.assert_fits()
    desk = new_page(**DESKTOP)
    desk.sign_in(stack, stack.staff("admin"))
    desk.goto("#/roster")
    desk.p.locator("#roster-list tbody tr").first.wait_for()
    desk.shot("67-staff-roster-desktop")
    desk.assert_fits()


def test_report_with_echarts_gross_and_net_and_every_export(stack, new_page):
    from openpyxl import load_workbook
    stack.paid_trainee("周报表")  # income to chart: one Alipay payment
    page = new_page(**DESKTOP)
    p = page.p
    page.sign_in(stack, stack.staff("admin"))
    p.get_by_role("heading", name="报名审核").wait_for()
    loaded = "() => performance.getEntriesByType('resource').some((e) => e.name.includes('echarts'))"
    assert p.evaluate(loaded) is False  # the first pages never download the chart library
    page.goto("#/report")
    p.locator("#chart-income svg").wait_for()
    assert p.evaluate(loaded) is True and p.evaluate("typeof window.echarts.init") == "function"
    # Then the charts are ECharts' SVGs, each labelled with its numbers in words
    funnel = p.locator("#chart-funnel").get_attribute("aria-label")
    assert funnel.startswith("报名到证书漏斗：报名 ") and int(funnel.split("报名 ")[1].split("，")[0]) >= 1
    assert p.locator("#chart-funnel svg path").count() >= 6
    assert p.locator("#chart-daily svg").count() == 1
    income = p.locator("#chart-income").get_attribute("aria-label")
    assert "支付宝 毛收入" in income and "净收入" in income
    # And gross and net are named as such, with their amounts
    totals = p.locator("#income-totals").inner_text()
    assert "收款总额（毛收入）" in totals and "净收入（收款总额 − 已退款）" in totals
    summary = stack.ok("GET", "/admin/reports/summary", token=stack.staff("admin"))
    assert summary["gross_total_fen"] >= 49000
    assert f"¥{summary['net_total_fen'] // 100}.{summary['net_total_fen'] % 100:02d}" in totals
    page.shot("63-staff-report-desktop")
    page.assert_fits()

    # When the admin downloads each export, each is a workbook with Chinese headers
    expected = {"registrations": ("报名名单", "报名编号"), "payments": ("交费记录", "交易编号"),
                "refunds": ("退费记录", "退款编号"), "invoices": ("发票记录", "发票编号"),
                "certificates": ("证书发放", "证书编号")}
    for name, (title, first_header) in expected.items():
        with p.expect_download() as download:
            p.locator(f"button[data-export={name}]").click()
        assert download.value.suggested_filename.startswith(f"{title}-2026-"), download.value.suggested_filename
        sheet = load_workbook(BytesIO(download.value.path().read_bytes())).worksheets[0]
        assert sheet.title == title and sheet["A1"].value == first_header
    with p.expect_download() as download:
        p.locator("button[data-export=registrations]").click()
    rows = list(load_workbook(BytesIO(download.value.path().read_bytes())).worksheets[0].iter_rows(values_only=True))
    assert any("周报表" in row for row in rows[1:])

    phone = new_page(**PHONE)
    phone.sign_in(stack, stack.staff("admin"))
    phone.goto("#/report")
    phone.p.locator("#chart-income svg").wait_for()
    phone.shot("64-staff-report-phone")
    phone.assert_fits()

    # Finance has the exports on a page of its own
    finance = new_page(**PHONE)
    finance.sign_in(stack, stack.staff("finance"))
    finance.goto("#/exports")
    finance.p.locator("button[data-export=payments]").wait_for()
    with finance.p.expect_download() as download:
        finance.p.locator("button[data-export=payments]").click()
    assert download.value.suggested_filename.startswith("交费记录-2026-")
    finance.assert_fits()


def test_review_queue_on_a_phone_reaches_approve_and_reject(stack, new_page):
    stack.set_clock("2026-04-06T09:00:00+08:00")
    names = [f"吴{unique_email('x')[2:6]}", f"郑{unique_email('x')[2:6]}"]
    for name in names:
        trainee(stack, name)
    page = new_page(**PHONE)
    p = page.p
    page.sign_in(stack, stack.staff("reviewer"))
    p.locator("#review-count").wait_for()
    ok = p.get_by_role("button", name=f"通过 {names[0]}")
    no = p.get_by_role("button", name=f"驳回 {names[0]}")
    ok.scroll_into_view_if_needed()
    # Then both buttons are on screen, inside the phone's width (no sideways scrolling)
    for button in (ok, no):
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 44  # a finger-sized target
    page.assert_fits()
    # And 加载更多 is not shown while everything is loaded
    assert "已全部加载" in p.locator("#review-count").inner_text()
    more = p.locator("#review-more")
    assert not more.is_visible()
    assert p.evaluate("getComputedStyle(document.getElementById('review-more')).display") == "none"
    page.shot("65-staff-review-phone")
    # When the reviewer rejects one with a reason, and approves the other
    no.click()
    p.get_by_label(f"驳回 {names[0]} 的原因（学员可见）").fill("单位名称与证明不符")
    p.get_by_role("button", name="确认驳回").click()
    p.get_by_text(f"已驳回：{names[0]}").wait_for()
    p.get_by_role("button", name=f"通过 {names[1]}").click()
    p.get_by_text(f"已通过：{names[1]}").wait_for()
    page.assert_fits()

    # And the same queue on a desktop is one table row per registration
    trainee(stack, f"冯{unique_email('x')[2:6]}")
    desk = new_page(**DESKTOP)
    desk.sign_in(stack, stack.staff("reviewer"))
    desk.p.locator("#review-list tbody tr").first.wait_for()
    assert desk.p.locator("#review-list thead th").first.is_visible()
    desk.shot("66-staff-review-desktop")
    desk.assert_fits()


def test_more_button_shows_only_when_the_server_has_another_page(stack, new_page):
    # Given more pending registrations than one page (the page asks 100 at a time)
    page = new_page(**PHONE)
    p = page.p
    page.sign_in(stack, stack.staff("reviewer"))
    p.locator("#review-count").wait_for()
    p.route("**/admin/registrations?*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"registrations": [], "next_token": "abc"})
        if "next_token" not in route.request.url else json.dumps({"registrations": []})))
    # When the list comes back saying there is more
    p.get_by_role("button", name="刷新列表").click()
    more = p.get_by_role("button", name="加载更多")
    more.wait_for()
    assert "还有更多" in p.locator("#review-count").inner_text()
    # Then 加载更多 is there; after the last page it goes
    more.click()
    p.locator("#review-count", has_text="已全部加载").wait_for()
    assert not p.locator("#review-more").is_visible()
