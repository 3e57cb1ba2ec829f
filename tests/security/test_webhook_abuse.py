"""Webhook abuse through the HTTP boundary: oversized bodies, wrong content types, stale
timestamps, unknown serials, the providers' signature probes. Each is refused cheaply (not a
single DynamoDB call) and writes nothing. (The service-level signature cases live in
tests/billing/test_webhooks.py.)"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Iterator

from tests.billing.conftest import alipay_body, approved_registration, get_order, get_reg, payments_of


@contextmanager
def dynamodb_calls() -> Iterator[list[str]]:
    """Every DynamoDB operation the app makes meanwhile, seen on the shared botocore client."""
    from chalicelib.platform.store.base import connection
    seen: list[str] = []
    events = connection().client.meta.events

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)
    events.register("before-call.dynamodb", record, unique_id="abuse-counter")
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb", unique_id="abuse-counter")


def _order(pdeps: Any, clock: Any, channel: str) -> tuple[str, dict[str, Any]]:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    return rid, orders.create_order(pdeps, acc.user_sub, rid, channel, False, clock.now())


def _untouched(order_id: str, rid: str) -> None:
    from chalicelib.billing.repository import ProviderNotification
    assert get_order(order_id).status == "open"
    assert get_reg(rid).payment_status == "unpaid"
    assert payments_of(order_id) == []
    assert list(ProviderNotification.by_flag.query("open")) == []


def test_alipay_abuse_is_refused_without_touching_storage(api: Any, pdeps: Any, clock: Any, keys: Any) -> None:
    rid, order = _order(pdeps, clock, "alipay")
    good = alipay_body(keys, order, clock.now())
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        ("oversized", good + b"&pad=" + b"x" * 200_000, form, {413}),
        ("json content type", good, {"Content-Type": "application/json"}, {415}),
        ("html content type", good, {"Content-Type": "text/html"}, {415}),
        ("no body", b"", form, {400}),
        ("binary junk", b"\xff\xfe\x00" * 100, form, {400}),
        ("unsigned probe", b"notify_type=trade_status_sync&out_trade_no=" + order["order_id"].encode(), form, {400}),
    ]
    for name, body, headers, statuses in cases:
        with dynamodb_calls() as calls:
            r = api.call("POST", "/webhooks/alipay", body=body, headers=headers)
        assert r.status_code in statuses, (name, r.status_code, r.body)
        assert calls == [], (name, calls)
    _untouched(order["order_id"], rid)


def test_wechatpay_abuse_is_refused_without_touching_storage(api: Any, pdeps: Any, clock: Any,
                                                              keys: Any, foreign_keys: Any) -> None:
    from chalicelib.dev.sandbox import wechat_payment_notification
    rid, order = _order(pdeps, clock, "wechatpay")
    now = clock.now()

    def note(at: Any, k: Any = None) -> tuple[bytes, dict[str, str]]:
        return wechat_payment_notification((k or keys)["wechatpay"], order["order_id"], 49000, "4200ABUSE", at)
    body, headers = note(now)
    stale_body, stale_headers = note(now - timedelta(minutes=6))
    forged_keys = {"wechatpay": {**keys["wechatpay"],
                                 "platform_private_key": foreign_keys["wechatpay"]["platform_private_key"]}}
    forged_body, forged_headers = note(now, forged_keys)
    probe = dict(headers, **{"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]})
    unknown_serial = dict(headers, **{"Wechatpay-Serial": "PUB_KEY_ID_0000000000000000"})
    cases = [
        ("oversized", body[:-1] + b',"pad":"' + b"x" * 200_000 + b'"}', headers, {413}),
        ("wrong content type", body, dict(headers, **{"Content-Type": "text/html"}), {415}),
        ("stale timestamp", stale_body, stale_headers, {401}),
        ("signature probe", body, probe, {401}),
        ("unknown serial", body, unknown_serial, {401}),
        ("forged", forged_body, forged_headers, {401}),
        ("no headers", body, {"Content-Type": "application/json"}, {401}),
    ]
    for name, b, h, statuses in cases:
        h = {"Content-Type": "application/json", **h}
        with dynamodb_calls() as calls:
            r = api.call("POST", "/webhooks/wechatpay", body=b, headers=h)
        assert r.status_code in statuses, (name, r.status_code, r.body)
        assert calls == [], (name, calls)
    _untouched(order["order_id"], rid)
    # The genuine one, through the same door, still pays (the counter is not lying)
    with dynamodb_calls() as calls:
        r = api.call("POST", "/webhooks/wechatpay", body=body, headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 204 and calls
    assert get_reg(rid).payment_status == "paid"


def test_oversized_json_is_refused_at_the_boundary(api: Any, clock: Any) -> None:
    _, token = api.signup()
    with dynamodb_calls() as calls:
        r = api.call("POST", "/registrations", token, body=b'{"unit_name":"' + b"x" * 70_000 + b'"}',
                     headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.data["Code"] == "PAYLOAD_TOO_LARGE"
    assert calls == []
