"""Refused and failed notifications are counted for the alarms in infra/."""
from typing import Any


def test_forged_notifications_count_as_rejected(api: Any, monkeypatch: Any) -> None:
    from chalicelib.billing import routes
    seen: list[str] = []
    monkeypatch.setattr(routes, "count", lambda name, value=1: seen.append(name))
    r = api.call("POST", "/webhooks/alipay", body=b"out_trade_no=O1&total_amount=490.00&sign=forged",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code >= 400
    r = api.call("POST", "/webhooks/wechatpay", body=b"{}", headers={
        "Content-Type": "application/json", "Wechatpay-Signature": "WECHATPAY/SIGNTEST/x",
        "Wechatpay-Timestamp": "1", "Wechatpay-Nonce": "n", "Wechatpay-Serial": "s"})
    assert r.status_code >= 400
    assert seen == ["WebhookRejected", "WebhookRejected"]

