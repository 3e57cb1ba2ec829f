"""Every provider notification acknowledged without crediting lands in finance's list
(`GET /admin/payment-notifications`, a query of the sparse `by_flag` index), with the
reason in Chinese: a transaction id already used by another order, and money that is
acknowledged and refunded automatically (closed order of a paid registration, a refunded
order paid again, a registration not approved, after the payment window)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.billing.conftest import alipay_body, approved_registration, get_order, payments_of


def _flagged(pdeps: Any) -> list[dict[str, Any]]:
    from chalicelib.billing import notifications
    return list(notifications.list_flagged(pdeps, 50, None)["notifications"])


def _order(pdeps: Any, clock: Any, channel: str = "alipay", name: str = "李玥") -> tuple[Any, str, dict]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now(), name=name)
    return acc, rid, orders.create_order(pdeps, acc.user_sub, rid, channel, False, clock.now())


def test_a_trade_no_already_used_for_another_order_is_flagged(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    _, _, first = _order(pdeps, clock)
    _, rid2, second = _order(pdeps, clock, name="闻一")
    now = clock.now()
    assert payments.handle_alipay(pdeps, alipay_body(keys, first, now, txn="2026TRADE1"), now) == (200, "success")
    # the same trade_no, now naming another order: acknowledged, never credited, flagged
    assert payments.handle_alipay(pdeps, alipay_body(keys, second, now, txn="2026TRADE1"), now) == (200, "success")
    assert get_order(second["order_id"]).status == "open" and payments_of(second["order_id"]) == []
    [note] = _flagged(pdeps)
    assert (note["problem"], note["out_trade_no"], note["provider_txn_id"]) == (
        "txn_reused", second["order_id"], "2026TRADE1")
    assert note["reason"] == "交易号已用于另一订单" and first["order_id"] in note["detail"]


def test_money_refunded_automatically_is_flagged_with_its_reason(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import orders, payments
    now = clock.now()
    # a closed order's old page paid after the registration was paid by another order
    acc, rid, old = _order(pdeps, clock)
    new = orders.create_order(pdeps, acc.user_sub, rid, "bank_transfer", False, now)
    wx = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, now)
    assert get_order(old["order_id"]).status == "closed" and new["order_id"] != wx["order_id"]
    from tests.billing.test_webhooks import _wx
    body, headers = _wx(keys, wx, now)
    assert payments.handle_wechatpay(pdeps, body, headers, now)[0] == 204
    assert payments.handle_alipay(pdeps, alipay_body(keys, old, now, txn="2026LATEPAGE"), now) == (200, "success")
    [note] = _flagged(pdeps)
    assert note["problem"] == "duplicate" and note["out_trade_no"] == old["order_id"]
    assert note["reason"].startswith("重复交费") and "已自动原路退回" in note["reason"]


def test_a_refunded_order_paid_again_is_flagged(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments, refunds
    acc, _, order = _order(pdeps, clock)
    now = clock.now()
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, txn="2026PAY1"), now) == (200, "success")
    refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "时间冲突", now)
    assert get_order(order["order_id"]).status == "refunded"
    later = now + timedelta(minutes=5)
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, later, txn="2026PAY2"), later) == (200, "success")
    [note] = _flagged(pdeps)
    assert (note["problem"], note["provider_txn_id"]) == ("duplicate", "2026PAY2")


def test_unknown_order_and_wrong_amount_carry_a_chinese_reason(pdeps: Any, clock: Any,
                                                               keys: Any) -> None:
    from chalicelib.billing import payments
    from chalicelib.billing.models import NotificationListOut
    _, _, order = _order(pdeps, clock)
    now = clock.now()
    payments.handle_alipay(pdeps, alipay_body(keys, order, now, amount_fen=100), now)
    payments.handle_alipay(pdeps, alipay_body(keys, "ONOSUCHORDER", now, txn="2026X", amount_fen=40000), now)
    listed = NotificationListOut.model_validate({"notifications": _flagged(pdeps)}).model_dump()
    reasons = {n["problem"]: n["reason"] for n in listed["notifications"]}
    assert reasons == {"amount_mismatch": "金额与订单不符", "unknown_order": "订单号不存在"}


def test_a_failed_provider_refund_is_flagged(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments, refunds
    from chalicelib.billing.repository import repository
    from chalicelib.dev.sandbox import wechat_refund_notification
    from chalicelib.dev.sandbox_providers import SandboxWechatPay
    from tests.billing.test_webhooks import _wx
    acc, _, order = _order(pdeps, clock, channel="wechatpay")
    now = clock.now()
    body, headers = _wx(keys, order, now)
    assert payments.handle_wechatpay(pdeps, body, headers, now)[0] == 204
    # WeChat accepts the refund (PROCESSING) and later reports it failed (REFUND.ABNORMAL)
    silent = {k: v for k, v in keys["wechatpay"].items() if k != "platform_private_key"}
    pdeps.extras["provider:wechatpay"] = SandboxWechatPay(pdeps, silent)
    refund = refunds.request_refund(pdeps, acc.user_sub, order["order_id"], "时间冲突", now)
    stored = repository(pdeps).get_refund(refund["refund_id"])
    assert stored.status == "processing"
    body, headers = wechat_refund_notification(keys["wechatpay"], stored, now, status="ABNORMAL")
    assert payments.handle_wechatpay(pdeps, body, headers, now)[0] == 204
    assert repository(pdeps).get_refund(refund["refund_id"]).status == "failed"
    [note] = _flagged(pdeps)
    assert note["problem"] == "refund_failed" and note["reason"] == "渠道退款失败，需财务处理"
