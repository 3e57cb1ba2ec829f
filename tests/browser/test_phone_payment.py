"""Paying on a phone (390 px, a phone's user agent): the pay page asks for the provider's
phone product (device "phone"), Alipay's 手机网站支付 and WeChat Pay H5 open in the same tab
through the simulated gateways, which check the signed request before the cashier shows,
and the cashier's payment brings the trainee back with the order paid."""
from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, SHOTS, Page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def phone(open_page: Any) -> Any:
    """Factory: an iPhone-sized page of its own (see open_page)."""
    return lambda: open_page(390, 844, IPHONE, True)


def _approved(stack: Any, name: str) -> tuple[str, str]:
    _, token = stack.trainee(name)
    reg = stack.ok("POST", "/registrations", {"unit_name": "国家图书馆", "job_title": "馆员",
                                              "region": "北京"}, token=token)
    rid = reg["registration_id"]
    stack.ok("POST", f"/admin/registrations/{rid}/approve", token=stack.staff("reviewer"))
    return token, rid


def _pay_on_phone(stack: Any, page: Page, token: str, rid: str, channel: str, shot: str) -> None:
    p = page.p
    page.sign_in(stack, token)
    page.goto(f"#/pay/{rid}")
    p.get_by_label(channel).check()
    p.get_by_role("button", name="确认交费方式").click()
    link = p.locator("#pay-link")
    link.wait_for()
    assert link.get_attribute("target") is None  # the phone cashier opens in this tab
    page.shot(f"{shot}-1-pay-page-390")
    page.assert_fits()
    link.click()
    p.get_by_role("button", name="确认付款").wait_for()
    assert p.evaluate("window.innerWidth") == 390
    width = p.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the cashier is {width}px wide on a 390px phone"
    p.screenshot(path=str(SHOTS / f"{shot}-2-cashier-390.png"), full_page=True)
    p.get_by_role("button", name="确认付款").click()
    # back on our orders page, the order paid
    p.wait_for_url("**/web/index.html#/orders")
    p.locator(".badge-paid").first.wait_for()
    page.shot(f"{shot}-3-back-paid-390")
    page.check_console()


def test_pay_with_alipay_wap_pay_on_a_phone(stack: Any, phone: Any) -> None:
    stack.set_clock("2026-04-05T10:00:00+08:00")
    token, rid = _approved(stack, "闻宇")
    page = phone()
    seen: list[str] = []
    page.p.on("request", lambda r: seen.append(r.url) if "/dev/pay/alipay/gateway.do" in r.url else None)
    _pay_on_phone(stack, page, token, rid, "支付宝", "phone-alipay-wap")
    # the browser went to the gateway with the signed wap pay request
    params = dict(parse_qsl(urlparse(seen[0]).query))
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2" and params["sign"]
    mine = stack.ok("GET", "/registrations/mine", token=token)["registrations"][0]
    assert mine["payment_status"] == "paid"


def test_pay_with_wechat_pay_h5_on_a_phone(stack: Any, phone: Any) -> None:
    stack.set_clock("2026-04-05T10:00:00+08:00")
    token, rid = _approved(stack, "李玥")
    page = phone()
    _pay_on_phone(stack, page, token, rid, "微信支付", "phone-wechat-h5")
    orders = stack.ok("GET", "/orders/mine", token=token)["orders"]
    assert [o["status"] for o in orders] == ["paid"]
    mine = stack.ok("GET", "/registrations/mine", token=token)["registrations"][0]
    assert mine["payment_status"] == "paid"


DESKTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Safari/537.36")


@pytest.fixture
def open_page(browser: Any, stack: Any) -> Iterator[Any]:
    """Factory: a page in its own context (own storage) of the given size and user agent,
    closed after the test: a page left open goes on polling the stack for the worker's
    later tests."""
    contexts: list[Any] = []

    def make(width: int, height: int, ua: str, mobile: bool) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height}, user_agent=ua,
                                  is_mobile=mobile, has_touch=mobile, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base)
        ctx.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(ctx)
        return Page(ctx.new_page(), stack.base)
    yield make
    for ctx in contexts:
        ctx.close()


def test_bank_transfer_claim_and_a_confirmed_refund(stack: Any, open_page: Any) -> None:
    stack.set_clock("2026-04-05T10:00:00+08:00")
    token, rid = _approved(stack, "张三")
    for width, height, ua, mobile, tag in ((390, 844, IPHONE, True, "390"), (1366, 900, DESKTOP_UA, False, "1366")):
        page = open_page(width, height, ua, mobile)
        p = page.p
        page.sign_in(stack, token)
        page.goto(f"#/pay/{rid}")
        if tag == "390":
            # Given nothing is chosen in advance, and 公务卡 is offered only for online channels
            p.get_by_role("button", name="确认交费方式").wait_for()
            assert p.locator("input[name=channel]:checked").count() == 0
            card = p.get_by_label("使用公务卡支付（需要公务卡报销凭证）")
            assert not card.is_visible()
            p.get_by_label("支付宝").check()
            assert card.is_visible()
            p.get_by_label("银行转账").check()
            assert not card.is_visible()
            page.shot("pay-choose-390")
            p.get_by_role("button", name="确认交费方式").click()
            # Then the form is done (hidden) and the account, name and memo each have a copy button
            p.locator("#account-no").wait_for()
            assert not p.get_by_role("button", name="确认交费方式").is_visible()
            p.get_by_role("button", name="复制账号").click()
            assert p.evaluate("navigator.clipboard.readText()") == "20000006591800105310002"
            p.get_by_role("button", name="复制户名").click()
            assert p.evaluate("navigator.clipboard.readText()") == "中国图书馆学会"
            p.get_by_role("button", name="复制附言").click()
            assert p.evaluate("navigator.clipboard.readText()") == "在职培训+国家图书馆+张三"
            assert "预计在 4月13日 24:00 前完成确认" in p.locator(".bank").inner_text()  # Fri 04-03 + 5 working days
            page.shot("pay-bank-390")
            page.assert_fits()
            # When they come back and say 我已汇款
            page.goto(f"#/pay/{rid}")
            change = p.get_by_role("heading", name="更换交费方式")
            change.wait_for()
            claim = p.get_by_role("form", name="我已汇款")
            assert claim.get_by_label("汇款日期").input_value() == "2026-04-05"
            assert claim.get_by_label("汇款金额（元）").input_value() == "490.00"
            claim.get_by_role("button", name="我已汇款").click()
            # Then what they recorded is shown in place, and the change-channel form goes away
            p.locator("#claim-recorded").wait_for()
            assert "2026年4月5日" in p.locator("#claim-recorded").inner_text()
            assert not change.is_visible()
            page.shot("pay-claimed-390")
            page.assert_fits()
        else:
            p.locator("#claim-recorded").wait_for()  # kept: the claim is on the order
            assert not p.get_by_role("heading", name="更换交费方式").is_visible()
            page.shot("pay-claimed-1366")
            page.assert_fits()
        page.check_console()
    order = stack.ok("GET", "/orders/mine", token=token)["orders"][0]
    assert order["transfer_claim"]["amount_fen"] == 49000

    # Finance sees the claim, confirms by hand, and the lists refresh
    fin = open_page(1366, 900, DESKTOP_UA, False)
    fin.sign_in(stack, stack.staff("finance"))
    fin.goto("#/finance")
    claims = fin.p.locator("[data-finance-list=claims]")
    claims.get_by_text(order["order_id"]).wait_for()
    assert "2026-04-05" in claims.inner_text()
    fin.p.get_by_role("button", name=f"确认到账… 订单 {order['order_id']}").click()
    manual = fin.p.locator('form[aria-label="无流水时按订单确认"]')
    expect(manual.get_by_label("银行流水号")).to_be_focused()  # the pick puts the cursor there
    fin.p.keyboard.type("SERCLAIM01")
    manual.get_by_role("button", name="确认到账").click()
    fin.p.get_by_text(f"已确认到账：订单 {order['order_id']}").wait_for()
    claims.get_by_text("暂无").wait_for()  # refreshed: the claim is settled
    fin.shot("finance-after-confirm-1366")
    fin.assert_fits()

    # The trainee asks for a refund: the dialog says what will happen; 取消 changes nothing
    page = open_page(390, 844, IPHONE, True)
    p = page.p
    page.sign_in(stack, token)
    page.goto("#/orders")
    assert "可在 2026年4月12日 24:00 前申请" in p.locator(".refund").inner_text()
    p.get_by_role("button", name="提交退费申请").click()
    p.get_by_text("请填写退费原因").wait_for()  # in the page, before anything is sent
    p.get_by_label("退费原因").fill("工作冲突")
    p.get_by_role("button", name="提交退费申请").click()
    dialog = p.get_by_role("dialog")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "¥490.00" in text and "在线学习权限立即停止" in text and "不能撤回" in text
    page.shot("refund-confirm-390")
    dialog.get_by_role("button", name="取消").click()
    assert stack.ok("GET", f"/orders/{order['order_id']}", token=token)["refunds"] == []
    p.get_by_role("button", name="提交退费申请").click()
    p.get_by_role("dialog").get_by_role("button", name="确认退费").click()
    p.locator(".refund-status .alert-success").wait_for()
    assert not p.get_by_role("button", name="提交退费申请").is_visible()  # done: the form is gone
    page.shot("refund-done-390")
    page.assert_fits()
    assert [r["status"] for r in stack.ok("GET", f"/orders/{order['order_id']}", token=token)["refunds"]] == ["requested"]
    page.check_console()


def test_a_group_member_sees_their_own_share_and_how_to_ask_for_a_refund(stack: Any, open_page: Any) -> None:
    """The group order (two members, ¥980) as the API gives it to one member: the page shows
    the member's own ¥490 and that a refund goes back to the unit's account (the API's
    answers for this member are served by the test: the group set-up is the unit's tests')."""
    import json as _json
    stack.set_clock("2026-04-05T10:00:00+08:00")
    token, rid = _approved(stack, "丙一")
    group = {"order_id": "GTESTGROUP1", "edition_id": "2026", "kind": "group", "channel": "bank_transfer",
             "channel_label": "银行转账", "status": "paid", "amount_fen": 98000, "official_card": False,
             "registration_ids": [rid, "ROTHERMEMBER"], "unit_name": "湖北省图书馆", "payer_name": "湖北省图书馆",
             "memo": "在职培训+湖北省图书馆", "created_at": "2026-04-05T09:00:00+08:00",
             "paid_at": "2026-04-05T09:30:00+08:00", "closed_at": None, "close_reason": None,
             "review_due_at": None, "voucher_uploaded": True, "member_list_uploaded": True}
    mine = stack.ok("GET", "/registrations/mine", token=token)
    for reg in mine["registrations"]:
        reg.update({"payment_status": "paid", "paid_order_id": "GTESTGROUP1"})
    page = open_page(390, 844, IPHONE, True)
    p = page.p
    answers = {"/orders/mine": {"orders": [group]}, "/registrations/mine": mine,
               "/orders/GTESTGROUP1": {**group, "payments": [], "refunds": []}}
    def answer(body: Any) -> Any:
        def handler(route: Any) -> None:
            route.fulfill(status=200, content_type="application/json", body=_json.dumps(body))
        return handler
    for path, body in answers.items():
        p.route(f"**{path}", answer(body))
    page.sign_in(stack, token)
    page.goto("#/orders")
    own = p.locator(".own-amount")
    own.wait_for()
    assert own.inner_text() == "¥490.00"  # not the group's ¥980
    text = p.locator(".card").first.inner_text()
    assert "共 2 人，合计 ¥980.00" in text and "本人费用" in text
    assert "退回单位的汇款账户" in p.locator(".refund").inner_text()
    page.shot("orders-group-member-390")
    page.assert_fits()
    page.check_console()


WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN")


def test_pay_with_wechat_jsapi_inside_wechat(stack: Any, open_page: Any) -> None:
    """Inside WeChat's browser: WeChat's web OAuth first (the simulated one), back with the
    code, the JSAPI order placed by itself, WeixinJSBridge (the sandbox's) pays it."""
    stack.set_clock("2026-04-05T10:00:00+08:00")
    token, rid = _approved(stack, "李四")
    page = open_page(390, 844, WECHAT_UA, True)
    p = page.p
    page.sign_in(stack, token)
    page.goto(f"#/pay/{rid}")
    p.get_by_label("微信支付").check()
    page.expect_http_error()  # the API's 409 WECHAT_OAUTH_REQUIRED that sends the page to OAuth
    p.get_by_role("button", name="确认交费方式").click()
    # back from OAuth with ?code=…&state=… before the #, the order is placed and the code dropped
    p.locator("#wechat-jsapi").wait_for()
    assert "code=" not in p.url and p.url.endswith(f"#/pay/{rid}")
    order = stack.ok("GET", "/orders/mine", token=token)["orders"][0]
    assert order["product"] == "wechat_jsapi" and order["jsapi_params"]["signType"] == "RSA"
    page.shot("phone-wechat-jsapi-1-pay-page-390")
    page.assert_fits()
    p.locator("#wechat-jsapi").click()
    sheet = p.get_by_role("dialog", name="微信支付（沙箱）")
    sheet.wait_for()
    page.shot("phone-wechat-jsapi-2-bridge-390")
    sheet.get_by_role("button", name="确认支付").click()
    p.locator("#paid-note").wait_for(timeout=20_000)
    page.shot("phone-wechat-jsapi-3-paid-390")
    assert stack.ok("GET", "/registrations/mine", token=token)["registrations"][0]["payment_status"] == "paid"
    page.check_console()


def test_finance_opens_a_units_voucher_and_member_list_from_the_order(stack: Any, open_page: Any) -> None:
    """The open group remittance's row opens the unit's voucher and member list (the 5-minute
    links the API gives; the group itself is served by the test, set up in the unit's tests)."""
    import json as _json
    row = {"order_id": "GVOUCHER01", "kind": "group", "unit_name": "湖北省图书馆", "payer_name": "湖北省图书馆",
           "amount_fen": 98000, "memo": "在职培训+湖北省图书馆", "members": 2, "voucher_uploaded": True,
           "member_list_uploaded": True, "review_due_at": "2026-04-14T00:00:00+08:00",
           "created_at": "2026-04-05T09:00:00+08:00"}
    links = {"order_id": "GVOUCHER01",
             "voucher": {"url": f"{stack.base}/web/verify.html?voucher", "expires_at": "2026-04-05T10:05:00+08:00"},
             "member_list": {"url": f"{stack.base}/web/verify.html?members", "expires_at": "2026-04-05T10:05:00+08:00"}}
    fin = open_page(1366, 900, DESKTOP_UA, False)
    p = fin.p

    def answer(body: Any) -> Any:
        def handler(route: Any) -> None:
            route.fulfill(status=200, content_type="application/json", body=_json.dumps(body))
        return handler
    p.route("**/admin/transfers/open*", answer({"orders": [row]}))
    p.route("**/admin/orders/GVOUCHER01/uploads", answer(links))
    fin.sign_in(stack, stack.staff("finance"))
    fin.goto("#/finance")
    section = p.locator("[data-finance-list=open-transfers]")
    section.get_by_role("button", name="查看汇款凭证").click()
    p.wait_for_function("document.body.dataset.lastLink && document.body.dataset.lastLink.endsWith('?voucher')")
    section.get_by_role("button", name="查看学员名单").click()
    p.wait_for_function("document.body.dataset.lastLink.endsWith('?members')")
    assert "4月13日 24:00" in section.inner_text()  # the review date, inclusive
    fin.shot("finance-group-uploads-1366")
    fin.assert_fits()
