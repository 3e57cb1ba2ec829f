"""A trainee's whole year in the browser: sign up, register, get approved, pay through the
sandbox cashier, learn, fill the questionnaire and download the certificate."""
from __future__ import annotations

import pytest

import time

from tests.browser.conftest import PASSWORD, SHOTS, unique_email, watch_all_courses

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
    # Given registration is open (2026-04-05, Beijing time), and 2-minute course videos
    stack.set_clock("2026-04-05T10:00:00+08:00")
    stack.shorten_courses(120)
    page = new_page()
    p = page.p
    email = unique_email("trainee")

    # When a librarian signs up on a phone
    sign_up(page, email)
    # Then the calendar shows registration open, with a countdown to its close
    reg_window = p.locator("[data-window=registration]")
    assert "进行中" in reg_window.inner_text()
    assert "距截止还有 5 天" in reg_window.inner_text()
    assert "2026年4月3日至4月10日" in reg_window.inner_text()  # the notice's days, not 4/11 00:00
    assert "非会员" in p.locator("#membership").inner_text()

    # When they submit the registration form
    p.get_by_label("单位名称").fill("国家图书馆")
    p.get_by_label("职务").fill("馆员")
    p.get_by_label("地区").fill("北京")
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
    page.assert_fits()

    # And logging out and in again, with the keyboard only, lands on the same page
    p.get_by_role("button", name="退出").click()
    p.get_by_label("邮箱").focus()
    p.keyboard.type(email)
    p.keyboard.press("Tab")
    p.keyboard.type(PASSWORD)
    p.keyboard.press("Enter")
    p.locator(".registration[data-status=approved]").wait_for()
    # (focus moved to the page's heading for screen readers)
    assert p.evaluate("document.activeElement.tagName") in ("H1", "H2")

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
    p.get_by_role("button", name="复制附言").click()
    p.get_by_text("已复制").wait_for()
    assert p.evaluate("navigator.clipboard.readText()") == "在职培训+国家图书馆+李玥"
    page.shot("05-pay-bank-transfer")
    page.assert_fits()

    # When they switch to Alipay and pay at the sandbox cashier
    p.reload()
    p.get_by_label("支付宝").check()
    p.get_by_role("button", name="确认交费方式").click()
    with p.expect_popup() as popup:
        p.get_by_role("link", name="前往支付宝付款").click()
    cashier = popup.value
    cashier.wait_for_load_state()
    assert "/dev/pay/" in cashier.url
    cashier.screenshot(path=str(SHOTS / "06-sandbox-cashier.png"), full_page=True)
    cashier.get_by_role("button", name="确认支付").click()
    cashier.wait_for_load_state()
    cashier.close()
    # Then the platform's page notices the payment by itself
    p.locator("#paid-note").wait_for()
    page.goto("#/home")
    assert p.locator(".registration").get_attribute("data-status") == "approved"
    assert "已交费" in p.locator(".registration").inner_text()

    # And before course start the courses page says when learning opens
    page.goto("#/learn")
    assert "在线学习自 2026年4月13日 起开放" in p.locator("#learning-closed").inner_text()

    # --- after course start: refund locked, invoice, learning ---------------------------
    stack.set_clock("2026-04-13T08:00:00+08:00")
    page.goto("#/orders")
    # Then the refund form is gone, with the reason it is refused
    closed = p.locator(".refund-closed")
    closed.wait_for()
    assert "2026年4月12日 24:00" in closed.inner_text() and "截止" in closed.inner_text()
    # When they ask for the invoice (in their own name, filled in), it is issued and downloadable
    assert "请在 2026年5月5日 24:00 前申请" in p.locator(".invoice").inner_text()  # paid 04-05
    assert p.get_by_label("发票抬头").input_value() == "李玥"
    p.get_by_role("button", name="申请开票").click()
    p.locator(".invoice-item[data-invoice-status=issued]").wait_for(timeout=40_000)
    assert "已开具" in p.locator(".invoice").inner_text()
    page.shot("07-orders-invoice")
    page.assert_fits()
    with p.expect_popup() as popup:
        p.locator(".invoice-item [data-download=pdf]").first.click()
    popup.value.close()
    assert stack.fetch(p.evaluate("document.body.dataset.lastLink")).startswith(b"%PDF")

    # When they open their courses and choose them (选学)
    page.goto("#/learn")
    p.get_by_role("button", name="选学本届全部课程").click()
    p.get_by_role("link", name="学习 图书馆史").wait_for()
    assert p.locator(".courses li").count() == 10
    page.shot("08-courses")
    page.assert_fits()

    # And watch the first course: the player has no download control and reports progress
    token = stack.login(email)
    page.goto("#/play/C01")
    video = p.locator("video")
    video.wait_for()
    assert "nodownload" in video.get_attribute("controlslist")
    assert video.get_attribute("disablepictureinpicture") is not None
    stack.advance_clock(120)  # on from 08:00 plus the time the steps above took
    p.evaluate("window.__lscBeat(60)")
    p.wait_for_function("document.querySelector('video').dataset.credited === '60'")
    assert "已记录学习进度" in p.locator("#hb-status").inner_text()
    page.shot("09-player")
    page.assert_fits()

    # When the same trainee starts another course elsewhere (a second tab or device)
    stack.ok("GET", "/learning/courses/C02/play", token=token)
    stack.advance_clock(30)
    page.expect_http_error()  # the 409 SESSION_SUPERSEDED, shown as the message below
    p.evaluate("window.__lscBeat(90)")
    # Then this window's player pauses and says why; it credited nothing more
    note = p.locator("#session-superseded")
    note.wait_for()
    assert "您已在其他窗口或设备开始播放，本窗口已暂停计时" in note.inner_text()
    assert p.evaluate("document.querySelector('video').paused") is True
    assert p.evaluate("document.querySelector('video').dataset.superseded") == "true"
    assert p.locator("video").get_attribute("data-credited") == "60"

    # Watching every course through (the clock moves a minute per round of reports)
    started = time.monotonic()
    watch_all_courses(stack, token)
    watch_seconds = time.monotonic() - started
    # Then they resume where they stopped, and every bar is full
    page.goto("#/learn")
    p.get_by_role("link", name="学习 图书馆史").click()
    p.locator("video").wait_for()
    assert p.locator("video").get_attribute("data-resume-at") == "120"
    assert "上次看到 2 分 0 秒" in p.locator("#hb-status").inner_text()
    page.goto("#/learn")
    p.locator("text=已学完 10/10").wait_for()

    # --- questionnaire ------------------------------------------------------------------
    stack.set_clock("2026-04-21T09:00:00+08:00")
    page.goto("#/questionnaire")
    p.locator("#questionnaire").wait_for()
    for fs in p.locator("fieldset.rating-q").all():
        fs.get_by_label("5 分（很好）").check()
    p.get_by_label("意见和建议").fill("课程很实用")
    page.shot("10-questionnaire")
    page.assert_fits()
    p.get_by_role("button", name="提交问卷").click()
    p.get_by_role("heading", name="电子结业证书").wait_for()

    # --- certificate --------------------------------------------------------------------
    stack.set_clock("2026-06-02T09:00:00+08:00")
    page.goto("#/certificate")
    with p.expect_popup() as popup:
        p.get_by_role("button", name="下载证书（PDF）").click()
    popup.value.close()
    assert stack.fetch(p.evaluate("document.body.dataset.lastLink")).startswith(b"%PDF")
    p.reload()
    cert_no = p.locator("#cert-no")
    cert_no.wait_for()
    number = cert_no.inner_text()
    page.shot("11-certificate")
    page.assert_fits()

    # And anyone can check it on the public page the certificate's QR code points to
    public = new_page()
    public.p.goto(f"{stack.base}/verify.html?no={number}")
    public.p.locator("#verify-ok").wait_for()
    assert "30" in public.p.locator("dl").inner_text()
    assert "李玥" not in public.p.locator("dl").inner_text()  # the holder's name is masked
    public.shot("12-verify")
    public.assert_fits()
    print(f"watching 10 courses through the API took {watch_seconds:.1f} s")

