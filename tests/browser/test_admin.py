"""The admin in the browser: roster import (and the member price it gives), the edition
form's validation message, and the report with its ECharts charts."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, unique_email
from tests.browser.test_staff_and_unit import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_admin_roster_editor_and_report(stack, new_page, tmp_path):
    stack.set_clock("2026-04-09T09:00:00+08:00")
    page = new_page(**DESKTOP)
    p = page.p
    page.sign_in(stack, stack.staff("admin"))
    p.get_by_role("heading", name="报名审核").wait_for()

    # When the admin imports a roster with a member who paid the 2026 dues
    member_email = unique_email("member")
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,邮箱,手机号,会员号,会费年度,审批时间\n"
                      f"赵敏,{member_email},,M{member_email[7:13]},2026,2026-03-01T09:00:00+08:00\n",
                      encoding="utf-8")
    page.goto("#/roster")
    p.get_by_label("会员名册（CSV 或 XLSX）").set_input_files(str(roster))
    p.get_by_role("button", name="导入", exact=True).click()
    p.get_by_text("已导入 1 行").wait_for()
    # Then that person registers at the member fee
    stack.ok("POST", "/auth/signup", {"email": member_email, "password": PASSWORD, "name": "赵敏",
                                      "phone": "13700137000"})
    reg = stack.ok("POST", "/registrations", {"unit_name": "首都图书馆", "job_title": "馆员", "region": "北京"},
                   token=stack.login(member_email))
    assert reg["tier"] == "member" and reg["fee_fen"] == 40000

    # When the admin breaks the calendar in the edition form, the page says why before sending
    page.goto("#/edition")
    p.get_by_label("报名最后一天").wait_for()
    p.get_by_label("报名最后一天").fill("2026-05-01")
    p.get_by_role("button", name="保存").click()
    error = p.locator("#edition-errors [role=alert]")
    error.wait_for()
    assert "报名须在在线学习开始前截止" in error.inner_text()
    assert p.get_by_label("报名最后一天").get_attribute("aria-invalid") == "true"

    # When they open the report
    page.goto("#/report")
    p.locator("#chart-funnel svg").wait_for()
    # Then the funnel, the registrations per day and the income by channel are drawn (ECharts)
    label = p.locator("#chart-funnel").get_attribute("aria-label")
    assert label.startswith("报名到证书漏斗：报名 ")
    registered = int(label.split("报名 ")[1].split("，")[0])
    assert registered >= 1
    assert p.locator("#chart-daily svg path").count() >= 1
    assert p.locator("#chart-income svg").count() == 1
    assert "毛收入" in p.locator("#chart-income").get_attribute("aria-label")
    page.shot("50-admin-report")
    page.assert_fits()

    # And the questionnaire results download as an XLSX workbook
    with p.expect_download() as download:
        p.get_by_role("button", name="问卷结果（XLSX）").click()
    assert download.value.suggested_filename == "questionnaire-2026.xlsx"  # the server's name
    assert open(download.value.path(), "rb").read(2) == b"PK"  # a zip container
