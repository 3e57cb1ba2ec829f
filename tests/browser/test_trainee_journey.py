"""A trainee's whole year in the browser: sign up, register, get approved, pay through the
sandbox cashier, learn, fill the questionnaire and download the certificate."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def sign_up(page, email: str, name: str = "李玥") -> None:
    page.goto("#/signup")
    p = page.p
    p.get_by_label("邮箱").fill(email)
    p.get_by_label("密码").fill(PASSWORD)
    p.get_by_label("姓名（单位账号填联系人）").fill(name)
    p.get_by_label("手机号").fill("13800138000")
    page.shot("01-signup")
    p.get_by_role("button", name="注册").click()
    p.get_by_role("heading", name=f"您好，{name}").wait_for()


def test_trainee_journey(stack, new_page):
    # Given registration is open (2026-04-05, Beijing time)
    stack.set_clock("2026-04-05T10:00:00+08:00")
    page = new_page()
    p = page.p
    email = unique_email("trainee")

    # When a librarian signs up on a phone
    sign_up(page, email)
    # Then the calendar shows registration open, with a countdown to its close
    reg_window = p.locator("[data-window=registration]")
    assert "进行中" in reg_window.inner_text()
    assert "距截止还有 5 天" in reg_window.inner_text()
    assert "非会员" in p.locator("#membership").inner_text()

    # When they submit the registration form
    p.get_by_label("单位名称").fill("国家图书馆")
    p.get_by_label("职务 / 职称").fill("馆员")
    p.get_by_label("所在地区").fill("北京")
    p.get_by_role("button", name="提交报名").click()
    # Then it is pending, at the non-member fee
    reg = p.locator(".registration")
    reg.wait_for()
    assert reg.get_attribute("data-status") == "pending"
    assert "¥490.00" in reg.inner_text()
    page.shot("02-registered-pending")
    registration_id = reg.get_attribute("data-registration-id")

    # When a reviewer approves it
    stack.ok("POST", f"/admin/registrations/{registration_id}/approve", token=stack.staff("reviewer"))
    p.reload()
    reg = p.locator(".registration")
    reg.wait_for()
    # Then the trainee sees 报名成功 and can go to pay
    assert reg.get_attribute("data-status") == "approved"
    assert "报名成功" in reg.inner_text()
    p.get_by_role("link", name="去交费").wait_for()
    page.shot("03-approved")

    # And logging out and in again lands on the same page
    p.get_by_role("button", name="退出").click()
    p.get_by_label("邮箱").fill(email)
    p.get_by_label("密码").fill(PASSWORD)
    p.get_by_role("button", name="登录").click()
    p.locator(".registration[data-status=approved]").wait_for()

    # --- payment -------------------------------------------------------------------------
    # When they choose WeChat Pay, a QR code of the code_url is drawn on the page
    p.get_by_role("link", name="去交费").click()
    p.get_by_label("微信支付").check()
    p.get_by_role("button", name="确认交费方式").click()
    qr = p.locator("#wechat-qr svg[role=img]")
    qr.wait_for()
    assert qr.get_attribute("aria-label") == "微信支付二维码"
    page.shot("04-pay-wechat-qr")

    # When they switch to a bank transfer, the exact memo is shown with a copy button
    p.reload()
    p.get_by_label("银行转账").check()
    p.get_by_role("button", name="确认交费方式").click()
    memo = p.locator("#memo")
    memo.wait_for()
    assert memo.inner_text() == "在职培训+国家图书馆+李玥"
    assert "20000006591800105310002" in p.locator(".bank").inner_text()
    assert "预计在" in p.locator(".bank").inner_text()  # the review due date
    p.get_by_role("button", name="复制汇款附言").click()
    p.get_by_text("已复制").wait_for()
    assert p.evaluate("navigator.clipboard.readText()") == "在职培训+国家图书馆+李玥"
    page.shot("05-pay-bank-transfer")

    # When they switch to Alipay and pay at the sandbox cashier
    p.reload()
    p.get_by_label("支付宝").check()
    p.get_by_role("button", name="确认交费方式").click()
    p.get_by_role("link", name="前往支付宝付款").click()
    p.wait_for_url("**/dev/pay/**")
    page.shot("06-sandbox-cashier")
    p.get_by_role("button", name="确认支付").click()
    p.wait_for_load_state()
    # Then back on the platform the registration is paid
    page.goto(f"#/pay/{registration_id}")
    p.locator("#paid-note").wait_for()
    page.goto("#/home")
    assert p.locator(".registration").get_attribute("data-status") == "approved"
    assert "已交费" in p.locator(".registration").inner_text()
