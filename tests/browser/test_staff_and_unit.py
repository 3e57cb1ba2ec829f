"""Staff at work in the browser: a reviewer's queue, a finance reconciliation, and a unit's
group order."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEV_PASSWORD, PASSWORD, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
DESKTOP = {"width": 1280, "height": 900}
CREDIT_CODE = "91110000717803011R"


def trainee(stack, name: str, unit: str = "国家图书馆", approve: bool = False) -> dict:
    """A trainee signed up and registered through the API; returns email, token, registration."""
    email = unique_email("t")
    stack.ok("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": name,
                                      "phone": "13900139000"})
    token = stack.login(email)
    reg = stack.ok("POST", "/registrations", {"unit_name": unit, "job_title": "馆员", "region": "湖北"},
                   token=token)
    if approve:
        stack.ok("POST", f"/admin/registrations/{reg['registration_id']}/approve",
                 token=stack.staff("reviewer"))
    return {"email": email, "token": token, "reg": reg, "name": name}


def log_in(page, email: str, password: str, stack=None) -> None:
    """Through the login form; a staff account (given `stack`) is then asked for its TOTP."""
    page.goto("#/login")
    page.p.get_by_label("邮箱").fill(email)
    page.p.get_by_label("密码").fill(password)
    if stack is not None:
        page.expect_http_error()  # the first answer: 401 MFA_REQUIRED, the field appears
    page.p.get_by_role("button", name="登录").click()
    if stack is not None:
        page.p.get_by_label("动态口令").fill(stack.totp(email))
        page.p.get_by_role("button", name="登录").click()
    page.p.get_by_role("button", name="退出").wait_for()  # signed in, landing page chosen


def test_reviewer_queue(stack, new_page):
    # Given three pending registrations
    stack.set_clock("2026-04-06T09:00:00+08:00")
    tag = unique_email("x")[2:8]
    people = [trainee(stack, f"审{tag}{i}") for i in range(3)]
    page = new_page(**DESKTOP)
    p = page.p

    # When the reviewer logs in, the pending queue is their landing page
    log_in(page, "reviewer@dev.local", DEV_PASSWORD, stack)
    p.get_by_role("heading", name="报名审核").wait_for()
    for person in people:
        p.get_by_text(person["name"], exact=True).wait_for()

    # When they filter by a name, only that row shows
    p.get_by_label("姓名 / 单位 / 地区 包含").fill(people[0]["name"])
    assert p.locator("#review-list tbody tr").count() == 1

    # When they reject it with a reason
    p.get_by_role("button", name=f"驳回 {people[0]['name']}").click()
    p.get_by_label(f"驳回 {people[0]['name']} 的原因（学员可见）").fill("单位名称与证明材料不符")
    p.get_by_role("button", name="确认驳回").click()
    p.get_by_text(f"已驳回：{people[0]['name']}").wait_for()
    # Then the trainee sees the reason
    mine = stack.ok("GET", "/registrations/mine", token=people[0]["token"])["registrations"][0]
    assert mine["status"] == "rejected" and mine["reject_reason"] == "单位名称与证明材料不符"

    # When they bulk-approve the other two (filtered on this test's tag)
    p.get_by_label("姓名 / 单位 / 地区 包含").fill(f"审{tag}")
    assert p.locator("#review-list tbody tr").count() == 2
    p.get_by_label("全选当前显示").check()
    page.shot("20-review-queue")
    page.assert_fits()
    p.get_by_role("button", name="批量通过（2）").click()
    p.get_by_text("批量通过 2 条").wait_for()
    assert p.locator("#bulk-progress [role=progressbar]").count() == 0 or True
    # Then both are approved
    for person in people[1:]:
        reg = stack.ok("GET", "/registrations/mine", token=person["token"])["registrations"][0]
        assert reg["status"] == "approved"
    assert p.locator("#review-list tbody tr:not(.empty)").count() == 0
    page.shot("21-review-done")

    # And the trainee whose registration was rejected sees why
    tp = new_page()
    log_in(tp, people[0]["email"], PASSWORD)
    tp.p.locator(".reject-reason").wait_for()
    assert tp.p.locator(".reject-reason").inner_text() == "单位名称与证明材料不符"
    tp.shot("22-trainee-rejected")
    tp.assert_fits()


def test_finance_reconciliation(stack, new_page, tmp_path):
    # Given two approved trainees who chose bank transfer
    stack.set_clock("2026-04-07T09:00:00+08:00")
    tag = unique_email("x")[2:6]
    a = trainee(stack, f"甲{tag}", unit=f"武汉图书馆{tag}", approve=True)
    b = trainee(stack, f"乙{tag}", unit=f"武汉图书馆{tag}", approve=True)
    orders = {}
    for t in (a, b):
        orders[t["name"]] = stack.ok("POST", "/orders", {"registration_id": t["reg"]["registration_id"],
                                                          "channel": "bank_transfer"}, token=t["token"])
    # And a bank statement with A's transfer (exact memo) and an unrelated line
    serial = f"SER{tag}001"
    csv = ("交易日期,收入金额,对方户名,对方账号,附言,交易流水号\n"
           f"2026-04-07,490.00,{a['name']},6222000011112222,{orders[a['name']]['memo']},{serial}\n"
           f"2026-04-07,12.00,某公司,6222000033334444,货款,SER{tag}999\n")
    statement = tmp_path / "statement.csv"
    statement.write_text(csv, encoding="utf-8")

    page = new_page(**DESKTOP)
    p = page.p
    log_in(page, "finance@dev.local", DEV_PASSWORD, stack)
    p.get_by_role("heading", name="财务").wait_for()
    # Then both open transfers wait for confirmation
    assert orders[a["name"]]["order_id"] in p.locator("text=待确认转账与集体交费").locator("..").inner_text()

    # When finance uploads the statement
    p.get_by_label("银行流水文件（CSV 或 XLSX）").set_input_files(str(statement))
    p.get_by_role("button", name="上传并匹配").click()
    p.locator("#statement-summary").wait_for()
    # Then A's line is proposed for A's order, and the other line is unmatched
    result = p.locator("#statement-result")
    assert orders[a["name"]]["order_id"] in result.inner_text()
    assert "货款" in result.inner_text()
    page.shot("30-finance-matches")
    page.assert_fits()

    # When finance confirms the proposed match
    p.locator("#statement-result").get_by_role("button", name="确认到账").first.click()
    p.get_by_text(f"已确认 {orders[a['name']]['order_id']}").wait_for()
    # the lists reload in place after a confirmation: wait for them before the next step
    expect(p.locator("[data-finance-list][aria-busy]")).to_have_count(0)
    # Then A is paid
    reg = stack.ok("GET", "/registrations/mine", token=a["token"])["registrations"][0]
    assert reg["payment_status"] == "paid"

    # When finance confirms B's transfer by hand (no statement line): pick the open order,
    # type the bank serial
    b_order = orders[b["name"]]["order_id"]
    p.get_by_role("button", name=f"确认到账… 订单 {b_order}").click()
    manual = p.locator('form[aria-label="无流水时按订单确认"]')
    assert manual.get_by_label("到账金额（元）").input_value() == "490.00"
    expect(manual.get_by_label("银行流水号")).to_be_focused()  # the pick puts the cursor there
    p.keyboard.type(f"SER{tag}002")
    manual.get_by_role("button", name="确认到账").click()
    p.get_by_text(f"已确认到账：订单 {b_order}").wait_for()
    assert stack.ok("GET", "/registrations/mine", token=b["token"])["registrations"][0]["payment_status"] == "paid"
    # Then B, on a phone, asks for a refund before course start
    bp = new_page()
    log_in(bp, b["email"], PASSWORD)
    bp.goto("#/orders")
    bp.p.get_by_label("退费原因").fill("工作冲突")
    bp.p.get_by_role("button", name="提交退费申请").click()
    bp.p.get_by_role("dialog").get_by_role("button", name="确认退费").click()  # what will happen, confirmed
    bp.p.get_by_text("退费申请已提交（已申请）").first.wait_for()
    bp.shot("32-trainee-refund-requested")
    bp.assert_fits()
    refund = stack.ok("GET", f"/orders/{b_order}", token=b["token"])["refunds"][0]
    # Then finance finds it among the refunds to complete and records the bank transfer back
    page.goto("#/finance")
    field = p.locator(f"#rs-{refund['refund_id']}")
    field.fill(f"RF{tag}")
    field.locator("..").get_by_role("button", name="登记已退款").click()
    p.get_by_text(f"退款 {refund['refund_id']} 已登记完成").wait_for()
    order = stack.ok("GET", f"/orders/{orders[b['name']]['order_id']}", token=b["token"])
    assert [r["status"] for r in order["refunds"]] == ["done"]
    page.shot("31-finance-refund-done")
    page.assert_fits()


def test_unit_group_order(stack, new_page, tmp_path):
    # Given two approved staff and one pending, registered under the same unit name
    stack.set_clock("2026-04-08T09:00:00+08:00")
    tag = unique_email("x")[2:6]
    unit = f"湖北省图书馆{tag}"
    staff = [trainee(stack, f"丙{tag}{i}", unit=unit, approve=i < 2) for i in range(3)]

    # When the unit signs up in the browser
    page = new_page()
    p = page.p
    email = unique_email("unit")
    page.goto("#/signup")
    p.get_by_label("单位（集体交费）").check()
    p.get_by_label("邮箱").fill(email)
    p.get_by_label("密码").fill(PASSWORD)
    p.get_by_label("姓名（单位账号填联系人）").fill("王主任")
    p.get_by_label("单位名称").fill(unit)
    p.get_by_label("统一社会信用代码").fill(CREDIT_CODE)
    p.get_by_role("button", name="注册").click()
    p.get_by_role("heading", name="集体交费").wait_for()
    # A new unit account is pending and sees nobody (issue 14) until staff approve it after
    # checking its credit code and letter; its staff then link their registrations to it.
    p.get_by_text("正在等待平台工作人员审核").wait_for()
    for person in staff:
        assert p.get_by_text(person["name"], exact=True).count() == 0
    unit_id = stack.ok("GET", "/me", token=stack.login(email))["user_id"]
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4\n%%EOF\n")
    p.get_by_label("单位介绍信或授权书（PDF、JPG 或 PNG，10 MB 以内，须加盖单位公章）").set_input_files(str(letter))
    p.get_by_role("button", name="上传授权书").click()
    p.locator("#flash").get_by_text("授权书已上传").wait_for()
    stack.ok("POST", f"/admin/units/{unit_id}/approve", token=stack.staff("admin"))
    for person in staff:
        stack.ok("POST", f"/registrations/{person['reg']['registration_id']}/unit-link",
                 {"unit_id": unit_id}, token=person["token"])
    page.goto("#/unit")

    # Then it sees its staff; only the approved ones can be picked
    for person in staff:
        p.get_by_text(person["name"], exact=True).wait_for()
    assert p.get_by_label(f"选择 {staff[2]['name']}").is_disabled()
    p.get_by_label(f"选择 {staff[0]['name']}").check()
    p.get_by_label(f"选择 {staff[1]['name']}").check()
    assert p.locator("#group-total").inner_text() == "¥980.00"
    page.shot("40-unit-builder")
    page.assert_fits()

    # When it creates the group order
    p.get_by_role("button", name="生成集体订单").click()
    result = p.locator("#group-result")
    result.locator(".group-order").wait_for()
    assert result.locator("#memo").inner_text() == f"在职培训+{unit}"
    assert "¥980.00" in result.inner_text()

    # And uploads the remittance voucher
    voucher = tmp_path / "voucher.png"
    voucher.write_bytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000105a0e2b40000000049454e44ae426082"))
    result.get_by_label("汇款凭证（JPG/PNG/PDF）").first.set_input_files(str(voucher))
    result.get_by_role("button", name="上传汇款凭证").click()
    p.locator("#flash").get_by_text("汇款凭证已上传").wait_for()
    page.shot("41-unit-order")
    page.assert_fits()
    order_id = result.locator(".group-order").get_attribute("data-order-id")

    # When finance confirms the remittance, both staff are paid
    stack.ok("POST", f"/admin/orders/{order_id}/confirm-transfer",
             {"bank_serial": f"GRP{tag}", "amount_fen": 98000}, token=stack.staff("finance"))
    for person in staff[:2]:
        reg = stack.ok("GET", "/registrations/mine", token=person["token"])["registrations"][0]
        assert reg["payment_status"] == "paid"

    # And the unit asks for the invoice in its own name with its credit code
    page.goto("#/unit-orders")
    p.get_by_label("发票抬头").wait_for()
    assert p.get_by_label("发票抬头").input_value() == unit
    assert p.get_by_label("统一社会信用代码").input_value() == CREDIT_CODE
    p.get_by_role("button", name="申请开票").click()
    p.locator(".invoice [data-invoice-id]").wait_for()
    page.shot("42-unit-invoice")
