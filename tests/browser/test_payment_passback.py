"""Finance sees an Alipay notification whose passback_params names another registration:
acknowledged to the provider, not credited, listed with its reason in Chinese (390 and
1366 px). The notification is signed with the dev stack's own sandbox Alipay key, as the
simulated gateway signs it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import DEV_PASSWORD, unique_email
from tests.browser.test_staff_and_unit import log_in, trainee

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]


def test_finance_sees_a_notice_naming_another_registration(stack, new_page):
    from chalicelib.dev.sandbox import alipay_notification, alipay_passback_of
    from chalicelib.platform.clock import parse_instant
    stack.set_clock("2026-04-07T09:00:00+08:00")
    tag = unique_email("x")[2:8]
    payer = trainee(stack, f"付{tag}", approve=True)
    other = trainee(stack, f"他{tag}", approve=True)
    order = stack.ok("POST", "/orders", {"registration_id": payer["reg"]["registration_id"],
                                         "channel": "alipay"}, token=payer["token"])
    sent = alipay_passback_of(order["pay_url"])
    assert sent == f"reg%3D{payer['reg']['registration_id']}"
    keys = json.loads((ROOT / ".dev" / "keys" / "alipay.json").read_text())
    txn = f"2026PB{tag}"
    body = alipay_notification(keys, order["order_id"], order["amount_fen"], txn,
                               parse_instant("2026-04-07T09:01:00+08:00"),
                               passback_params=f"reg%3D{other['reg']['registration_id']}")
    status, reply = stack.call("POST", "/webhooks/alipay", raw=body,
                               ctype="application/x-www-form-urlencoded")
    assert (status, reply) == (200, "success")  # acknowledged: Alipay stops retrying
    assert stack.ok("GET", f"/orders/{order['order_id']}", token=payer["token"])["status"] == "open"

    for name, size in (("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1366, "height": 900})):
        page = new_page(**size)
        log_in(page, "finance@dev.local", DEV_PASSWORD, stack)
        p = page.p
        p.get_by_role("heading", name="财务").wait_for()
        row = p.locator("tr", has_text=txn)
        row.wait_for()
        text = row.inner_text()
        assert "通知回传的报名与订单不符，未入账" in text and order["order_id"] in text
        assert other["reg"]["registration_id"] in text  # the detail names what the notice said
        row.scroll_into_view_if_needed()
        page.shot(f"40-finance-passback-mismatch-{name}")
        page.assert_fits()
