"""A unit account verified by staff, in Chromium (issue 14, item 3): the unit signs up and
sees only its pending page, uploads its authorization letter, an admin (signing in with a
TOTP) approves it in the staff screen, a trainee picks the unit in the registration form,
and the unit builds a group order holding just that trainee, who can leave it again."""
from __future__ import annotations

import pytest

from tests.browser.conftest import DEV_PASSWORD, PASSWORD, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CREDIT_CODE = "91110000600037341L"
LETTER_LABEL = "单位介绍信或授权书（PDF、JPG 或 PNG，10 MB 以内，须加盖单位公章）"


def test_unit_verified_by_staff_then_linked_and_grouped(stack, new_page, tmp_path):
    stack.set_clock("2026-04-08T09:00:00+08:00")
    tag = unique_email("x")[2:6]
    unit = f"国家图书馆{tag}"
    # Someone else registered under that very name, who never chose the unit
    outsider_email = unique_email("o")
    stack.ok("POST", "/auth/signup", {"email": outsider_email, "password": PASSWORD,
                                      "name": f"路人{tag}", "phone": "13900139000"})
    outsider = stack.login(outsider_email)
    stack.ok("POST", "/registrations", {"unit_name": unit, "job_title": "馆员", "region": "北京"},
             token=outsider)

    # The unit signs up on a phone: its page says it waits for staff and shows nobody
    page = new_page(**PHONE)
    p = page.p
    email = unique_email("unit")
    page.goto("#/signup")
    p.get_by_label("单位（集体交费）").check()
    p.get_by_label("邮箱").fill(email)
    p.get_by_label("密码").fill(PASSWORD)
    p.get_by_label("姓名（单位账号填联系人）").fill("王主任")
    p.get_by_label("单位名称").fill(f"国 家 图 书 馆{tag}")  # spaced: the same name once normalised
    p.get_by_label("统一社会信用代码").fill(CREDIT_CODE)
    p.get_by_role("button", name="注册").click()
    p.get_by_role("heading", name="集体交费").wait_for()
    p.get_by_text("正在等待平台工作人员审核").wait_for()
    assert p.get_by_text(f"路人{tag}").count() == 0
    assert p.get_by_role("button", name="生成集体订单").count() == 0
    page.shot("70-unit-pending-phone")
    page.assert_fits()

    # It uploads its letter (a PDF) straight to storage
    letter = tmp_path / "授权书.pdf"
    letter.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    p.get_by_label(LETTER_LABEL).set_input_files(str(letter))
    p.get_by_role("button", name="上传授权书").click()
    p.locator("#flash").get_by_text("授权书已上传").wait_for()
    p.get_by_text("已上传（").wait_for()
    page.shot("71-unit-letter-uploaded-phone")

    # An admin signs in with password and TOTP, opens 单位认证 and approves after checking
    staff_page = new_page(**DESKTOP)
    s = staff_page.p
    staff_page.goto("#/login")
    s.get_by_label("邮箱").fill("admin@dev.local")
    s.get_by_label("密码").fill(DEV_PASSWORD)
    staff_page.expect_http_error()  # 401 MFA_REQUIRED: the code is asked for
    s.get_by_role("button", name="登录").click()
    s.get_by_text("管理人员登录须填写动态口令").wait_for()
    assert s.get_by_label("动态口令").evaluate("el => el === document.activeElement")
    staff_page.shot("72-staff-login-totp-desktop")
    s.get_by_label("动态口令").fill(stack.totp("admin@dev.local"))
    s.get_by_role("button", name="登录").click()
    s.get_by_role("button", name="退出").wait_for()
    s.get_by_role("link", name="单位认证").click()
    s.get_by_role("heading", name="单位认证").wait_for()
    unit_card = s.locator(".card", has_text=f"国 家 图 书 馆{tag}")
    unit_card.get_by_text("校验通过").wait_for()
    unit_card.get_by_role("link", name="查看单位介绍信/授权书（PDF，5 分钟内有效）").wait_for()
    staff_page.shot("73-staff-units-pending-desktop")
    staff_page.assert_fits()
    s.once("dialog", lambda d: d.accept())
    unit_card.get_by_role("button", name="核对无误，通过").click()
    s.locator("#flash").get_by_text(f"已通过：国 家 图 书 馆{tag}").wait_for()

    # The unit's page now says so; still nobody is listed (nobody linked yet)
    page.goto("#/unit")
    p.get_by_text("还没有学员关联本单位").wait_for()
    assert p.get_by_text(f"路人{tag}").count() == 0

    # A trainee picks the unit in the registration form
    trainee_email = unique_email("t")
    stack.ok("POST", "/auth/signup", {"email": trainee_email, "password": PASSWORD,
                                      "name": f"甲{tag}", "phone": "13900139001"})
    trainee = stack.login(trainee_email)
    tpage = new_page(**PHONE)
    t = tpage.p
    tpage.sign_in(stack, trainee)
    t.get_by_label("单位名称").fill(unit)
    t.get_by_label("职务").fill("馆员")
    t.get_by_label("地区").fill("北京")
    choice = t.get_by_label("关联单位账号（可选）")
    choice.wait_for()
    choice.select_option(label=f"国 家 图 书 馆{tag}（已认证的单位账号）")
    tpage.shot("74-trainee-picks-unit-phone")
    tpage.assert_fits()
    t.get_by_role("button", name="提交报名").click()
    t.get_by_text("本报名已关联单位账号").wait_for()
    rid = stack.ok("GET", "/registrations/mine", token=trainee)["registrations"][0]["registration_id"]
    stack.ok("POST", f"/admin/registrations/{rid}/approve", token=stack.staff("reviewer"))

    # The unit sees just that trainee and builds the group order
    page.goto("#/unit")
    p.get_by_text(f"甲{tag}", exact=True).wait_for()
    assert p.get_by_text(f"路人{tag}").count() == 0
    p.get_by_label(f"选择 甲{tag}").check()
    assert p.locator("#group-total").inner_text() == "¥490.00"
    p.get_by_role("button", name="生成集体订单").click()
    p.locator("#group-result .group-order").wait_for()
    page.shot("75-unit-group-order-phone")
    page.assert_fits()
    order_id = p.locator("#group-result .group-order").get_attribute("data-order-id")

    # The trainee sees the group order and may leave it (then pays alone)
    tpage.goto("#/home")
    t.get_by_text(f"单位已把您列入集体订单 {order_id}").wait_for()
    tpage.shot("76-trainee-in-group-phone")
    t.once("dialog", lambda d: d.accept())
    t.get_by_role("button", name="退出集体订单").click()
    t.locator("#flash").get_by_text("已退出集体订单").wait_for()
    order = next(o for o in stack.ok("GET", "/orders/mine", token=stack.login(email))["orders"]
                 if o["order_id"] == order_id)
    assert order["status"] == "closed" and order["registration_ids"] == [rid]
    mine = stack.ok("GET", "/registrations/mine", token=trainee)["registrations"][0]
    assert mine["open_order_id"] is None
