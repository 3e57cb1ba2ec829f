"""Paying on a phone (390 px, a phone's user agent): the pay page asks for the provider's
phone product (device "phone"), Alipay's 手机网站支付 and WeChat Pay H5 open in the same tab
through the simulated gateways, which check the signed request before the cashier shows,
and the cashier's payment brings the trainee back with the order paid."""
from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.browser.conftest import SHOTS, Page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def phone(browser: Any, stack: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> Page:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=IPHONE,
                                  is_mobile=True, has_touch=True, device_scale_factor=1,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return Page(ctx.new_page(), stack.base)
    yield make
    for ctx in contexts:
        ctx.close()


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
