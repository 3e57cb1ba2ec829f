"""The admin in the browser: roster import (and the member price it gives), the edition
editor's validation messages, and the report with its SVG charts."""
from __future__ import annotations

import pytest

from tests.browser.conftest import DEV_PASSWORD, PASSWORD, unique_email
from tests.browser.test_staff_and_unit import DESKTOP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_admin_roster_editor_and_report(stack, new_page, tmp_path):
    stack.set_clock("2026-04-09T09:00:00+08:00")
    page = new_page(**DESKTOP)
    p = page.p
    log_in(page, "admin@dev.local", DEV_PASSWORD)
    p.get_by_role("heading", name="报名审核").wait_for()

    # When the admin imports a roster with a member who paid the 2026 dues
    member_email = unique_email("member")
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,邮箱,手机号,会员号,会费年度,审批时间\n"
                      f"赵敏,{member_email},,M{member_email[7:13]},2026,2026-03-01T09:00:00+08:00\n",
                      encoding="utf-8")
    page.goto("#/roster")
    p.get_by_label("会员名册（CSV 或 XLSX）").set_input_files(str(roster))
    p.get_by_role("button", name="导入").click()
    p.get_by_text("已导入 1 行").wait_for()
    # Then that person registers at the member fee
    stack.ok("POST", "/auth/signup", {"email": member_email, "password": PASSWORD, "name": "赵敏",
                                      "phone": "13700137000"})
    reg = stack.ok("POST", "/registrations", {"unit_name": "首都图书馆", "job_title": "馆员", "region": "北京"},
                   token=stack.login(member_email))
    assert reg["tier"] == "member" and reg["fee_fen"] == 40000

    # When the admin breaks the calendar in the edition editor, the API's reason is shown
    page.goto("#/edition")
    area = p.get_by_label("届次 2026 的完整数据（JSON）")
    area.wait_for()
    text = area.input_value()
    area.fill(text.replace('"closes": "2026-04-10T16:00:00Z"', '"closes": "2026-05-01T00:00:00+08:00"', 1))
    p.get_by_role("button", name="保存").click()
    error = p.locator("#edition-errors [role=alert]")
    error.wait_for()
    assert "报名必须在在线学习开始前截止" in error.inner_text()
    # And malformed JSON is caught before sending
    area.fill("{ not json")
    p.get_by_role("button", name="保存").click()
    assert "JSON 格式错误" in p.locator("#edition-errors").inner_text()
    page.expect_http_error(1)  # the refused save above (a 400 the page showed)

    # When they open the report
    page.goto("#/report")
    p.locator("#chart-funnel svg").wait_for()
    # Then the funnel, the registrations per day and the income by channel are drawn
    label = p.locator("#chart-funnel svg").get_attribute("aria-label")
    assert label.startswith("报名到证书漏斗：报名 ")
    registered = int(label.split("报名 ")[1].split("，")[0])
    assert registered >= 1
    assert p.locator("#chart-daily svg circle").count() >= 1
    assert p.locator("#chart-income svg rect").count() == 3
    page.shot("50-admin-report")
    page.assert_fits()

    # And the questionnaire results download as an XLSX workbook
    with p.expect_download() as download:
        p.get_by_role("button", name="导出问卷结果（XLSX）").click()
    assert download.value.suggested_filename == "问卷-2026.xlsx"
    assert open(download.value.path(), "rb").read(2) == b"PK"  # a zip container
