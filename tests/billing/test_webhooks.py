"""Provider notifications: signature first (nothing written for a bad one), then merchant,
order and amount, then exactly-once crediting under replays and concurrency."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of


def _order(pdeps: Any, clock: Any, channel: str = "alipay", **kw: Any) -> tuple[Any, str, dict]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now(), **kw)
    order = orders.create_order(pdeps, acc.user_sub, rid, channel, False, clock.now())
    return acc, rid, order


def _nothing_written(order_id: str, rid: str) -> None:
    from chalicelib.billing.repository import ProviderNotification
    assert get_order(order_id).status == "open"
    assert get_reg(rid).payment_status == "unpaid"
    assert payments_of(order_id) == []
    assert list(ProviderNotification.by_flag.query("open")) == []


# --- Alipay ---------------------------------------------------------------------------
def test_alipay_signed_notification_credits_the_order_once(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.platform.mail import outbox as mail
    from chalicelib.billing import payments
    acc, rid, order = _order(pdeps, clock)
    # (the pay link is the signed page pay request, at the simulated gateway)
    assert order["amount_fen"] == 49000 and order["product"] == "alipay_page"
    assert order["pay_url"].startswith("http://127.0.0.1:8000/dev/pay/alipay/gateway.do?")
    assert order["order_id"] in unquote(order["pay_url"])
    # When Alipay posts its signed notification
    status, reply = payments.handle_alipay(pdeps, alipay_body(keys, order, clock.now()), clock.now())
    # Then it is told `success`, the order and the registration are paid, and the trainee is told
    assert (status, reply) == (200, "success")
    assert get_order(order["order_id"]).status == "paid"
    reg = get_reg(rid)
    assert reg.payment_status == "paid" and reg.paid_order_id == order["order_id"]
    assert reg.open_order_id is None
    [p] = payments_of(order["order_id"])
    assert p.disposition == "credited" and p.amount_fen == 49000
    assert "payment.confirmed" in [m["template"] for m in mail.list_mail(acc.email)]


def test_forged_tampered_and_unsigned_alipay_notifications_write_nothing(
        pdeps: Any, clock: Any, keys: Any, foreign_keys: Any) -> None:
    from chalicelib.billing import payments
    _, rid, order = _order(pdeps, clock)
    now = clock.now()
    forged = alipay_body(foreign_keys, order, now, app_id=keys["alipay"]["app_id"])
    params = dict(parse_qsl(alipay_body(keys, order, now).decode()))
    tampered = urlencode({**params, "total_amount": "0.01"}).encode()
    unsigned = urlencode({k: v for k, v in params.items() if k not in ("sign", "sign_type")}).encode()
    wrong_type = urlencode({**params, "sign_type": "RSA"}).encode()
    for body in (forged, tampered, unsigned, wrong_type, b"", b"\xff\xfe"):
        assert payments.handle_alipay(pdeps, body, now) == (400, "fail")
    _nothing_written(order["order_id"], rid)


def test_alipay_verification_does_not_mutate_what_it_checks(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing.providers import provider
    _, _, order = _order(pdeps, clock)
    note = provider(pdeps, "alipay").parse_notification(alipay_body(keys, order, clock.now()), {},
                                                        clock.now())
    assert note.raw["sign_type"] == "RSA2" and note.raw["out_trade_no"] == order["order_id"]


def test_replayed_notification_changes_state_once(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    _, _, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now())
    for _ in range(3):
        assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
        clock.advance(minutes=5)
    assert len(payments_of(order["order_id"])) == 1


def test_twenty_concurrent_identical_notifications_make_one_payment(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    _, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now())
    results: list[Any] = []
    barrier = threading.Barrier(20)

    def deliver() -> None:
        barrier.wait()
        results.append(payments.handle_alipay(pdeps, body, clock.now()))
    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(payments_of(order["order_id"])) == 1
    assert get_reg(rid).payment_status == "paid"
    # Everyone got `success`, or a 503 `fail` (still in progress: Alipay retries later).
    assert {r for r in results} <= {(200, "success"), (503, "fail")}
    assert (200, "success") in results
    # And a later retry of those answers success without a second payment
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    assert len(payments_of(order["order_id"])) == 1


def test_amount_mismatch_is_flagged_not_credited(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import notifications, payments
    _, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now(), amount_fen=100)
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    assert get_order(order["order_id"]).status == "open"
    assert get_reg(rid).payment_status == "unpaid"
    flagged = notifications.list_flagged(pdeps, 50, None)["notifications"]
    assert [(n["problem"], n["out_trade_no"], n["amount_fen"]) for n in flagged] == [
        ("amount_mismatch", order["order_id"], 100)]


def test_unknown_order_is_kept_and_listed_for_finance(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import notifications, payments
    body = alipay_body(keys, "ONOSUCHORDER", clock.now(), amount_fen=40000)
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")  # replay
    [note] = notifications.list_flagged(pdeps, 50, None)["notifications"]
    assert note["problem"] == "unknown_order" and note["out_trade_no"] == "ONOSUCHORDER"
    assert note["data"]["trade_no"] == "2026000000000000000000000001"


def test_foreign_app_id_is_flagged(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import notifications, payments
    _, rid, order = _order(pdeps, clock)
    body = alipay_body(keys, order, clock.now(), app_id="2021999999999999")
    assert payments.handle_alipay(pdeps, body, clock.now()) == (200, "success")
    assert get_reg(rid).payment_status == "unpaid"
    assert notifications.list_flagged(pdeps, 50, None)["notifications"][0]["problem"] == "merchant_mismatch"


def test_out_of_order_statuses(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    _, rid, order = _order(pdeps, clock)
    now = clock.now()
    # WAIT_BUYER_PAY is acknowledged and ignored
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, trade_status="WAIT_BUYER_PAY"),
                                  now) == (200, "success")
    assert get_order(order["order_id"]).status == "open"
    # TRADE_FINISHED may arrive before TRADE_SUCCESS: one payment either way
    for status in ("TRADE_FINISHED", "TRADE_SUCCESS"):
        assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, trade_status=status),
                                      now) == (200, "success")
    # A late TRADE_CLOSED never un-pays
    assert payments.handle_alipay(pdeps, alipay_body(keys, order, now, trade_status="TRADE_CLOSED"),
                                  now) == (200, "success")
    assert get_order(order["order_id"]).status == "paid"
    assert len(payments_of(order["order_id"])) == 1
    assert get_reg(rid).payment_status == "paid"


# --- WeChat Pay -------------------------------------------------------------------------
def _wx(keys: Any, order: dict, now: Any, txn: str = "4200000000000000000000000001", **kw: Any) -> Any:
    from chalicelib.dev.sandbox import wechat_payment_notification
    return wechat_payment_notification(keys["wechatpay"], order["order_id"], order["amount_fen"],
                                       txn, now, **kw)


def test_wechat_signed_notification_credits(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import payments
    _, rid, order = _order(pdeps, clock, "wechatpay")
    assert order["code_url"].endswith(order["order_id"])
    body, headers = _wx(keys, order, clock.now())
    assert payments.handle_wechatpay(pdeps, body, headers, clock.now()) == (204, None)
    assert get_reg(rid).payment_status == "paid"
    assert payments.handle_wechatpay(pdeps, body, headers, clock.now()) == (204, None)  # replay
    assert len(payments_of(order["order_id"])) == 1


def test_wechat_bad_signatures_write_nothing(pdeps: Any, clock: Any, keys: Any, foreign_keys: Any) -> None:
    from chalicelib.billing.providers import crypto
    from chalicelib.billing import payments
    _, rid, order = _order(pdeps, clock, "wechatpay")
    now = clock.now()
    body, headers = _wx(keys, order, now)
    forged_keys = {**keys["wechatpay"], "platform_private_key": foreign_keys["wechatpay"]["platform_private_key"]}
    forged_body, forged_headers = _wx({"wechatpay": forged_keys}, order, now)
    stale_body, stale_headers = _wx(keys, order, now - timedelta(minutes=5, seconds=1))
    future_body, future_headers = _wx(keys, order, now + timedelta(minutes=5, seconds=1))
    probe = dict(headers, **{"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]})
    unknown_serial = dict(headers, **{"Wechatpay-Serial": "PUB_KEY_ID_UNKNOWN"})
    unsigned = {k: v for k, v in headers.items() if k != "Wechatpay-Signature"}
    # A re-serialised body (same JSON, other spacing) no longer matches the signature.
    import json
    reserialised = json.dumps(json.loads(body), ensure_ascii=False, indent=1).encode()
    tampered = body.replace(b'"event_type":"TRANSACTION.SUCCESS"', b'"event_type":"TRANSACTION.SUCCESS" ')
    cases = [(forged_body, forged_headers), (stale_body, stale_headers), (future_body, future_headers),
             (body, probe), (body, unknown_serial), (body, unsigned), (reserialised, headers),
             (tampered, headers)]
    for b, h in cases:
        status, answer = payments.handle_wechatpay(pdeps, b, h, now)
        assert status == 401 and answer["code"] == "FAIL", (status, answer)
    _nothing_written(order["order_id"], rid)
    # The edge of the window is accepted: exactly 5 minutes old
    ok_body, ok_headers = _wx(keys, order, now - timedelta(minutes=5))
    assert payments.handle_wechatpay(pdeps, ok_body, ok_headers, now) == (204, None)
    assert crypto.verify(keys["wechatpay"]["platform_keys"][keys["wechatpay"]["platform_serial"]],
                         b"x", "bm90IGJhc2U2NA==") is False


def test_wechat_foreign_merchant_is_flagged(pdeps: Any, clock: Any, keys: Any) -> None:
    from chalicelib.billing import notifications, payments
    _, rid, order = _order(pdeps, clock, "wechatpay")
    body, headers = _wx(keys, order, clock.now(), mchid="1999999999")
    assert payments.handle_wechatpay(pdeps, body, headers, clock.now()) == (204, None)
    assert get_reg(rid).payment_status == "unpaid"
    assert notifications.list_flagged(pdeps, 50, None)["notifications"][0]["problem"] == "merchant_mismatch"
