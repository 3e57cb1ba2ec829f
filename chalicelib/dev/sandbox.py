"""The dev sandbox cashier: plays Alipay / WeChat Pay. It builds the notification exactly as
the provider would, signs it with the sandbox *provider* private key (from the dev key
files), and hands the raw body and headers to the same handler the webhook route calls.
Dev and test stages only (the routes are registered only there)."""
from __future__ import annotations

import html
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalicelib.platform.clock import shanghai
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, yuan
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.platform.deps import Deps
from chalicelib.billing import repository as store
from chalicelib.billing.repository import Order, Refund


def _keys(deps: Deps, channel: str) -> dict[str, Any]:
    from chalicelib.billing.providers.keys import load_keys
    return load_keys(deps, channel)


def alipay_notification(keys: dict[str, Any], order_id: str, amount_fen: int, txn_id: str,
                        now: datetime, trade_status: str = "TRADE_SUCCESS",
                        app_id: str | None = None) -> bytes:
    from chalicelib.billing.providers.alipay import sign_notification, yuan_text
    stamp = shanghai(now).strftime("%Y-%m-%d %H:%M:%S")
    params = {
        "notify_time": stamp, "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16), "app_id": app_id or str(keys["app_id"]),
        "charset": "utf-8", "version": "1.0", "trade_no": txn_id, "out_trade_no": order_id,
        "buyer_id": "2088" + "".join(secrets.choice("0123456789") for _ in range(12)),
        "seller_id": "2088000000000000", "trade_status": trade_status,
        "total_amount": yuan_text(amount_fen), "receipt_amount": yuan_text(amount_fen),
        "buyer_pay_amount": yuan_text(amount_fen), "subject": "在职培训 培训费",
        "gmt_create": stamp, "gmt_payment": stamp}
    return urlencode(sign_notification(params, str(keys["alipay_private_key"]))).encode()


def wechat_payment_notification(keys: dict[str, Any], order_id: str, amount_fen: int,
                                txn_id: str, now: datetime,
                                mchid: str | None = None) -> tuple[bytes, dict[str, str]]:
    from chalicelib.billing.providers.wechatpay import build_notification
    resource = {"appid": str(keys["appid"]), "mchid": mchid or str(keys["mchid"]),
                "out_trade_no": order_id, "transaction_id": txn_id, "trade_type": "NATIVE",
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": shanghai(now).isoformat(timespec="seconds"),
                "payer": {"openid": "o-sandbox-" + secrets.token_hex(6)},
                "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY",
                           "payer_currency": "CNY"}}
    return build_notification(keys, "TRANSACTION.SUCCESS", resource, now)


def wechat_refund_notification(keys: dict[str, Any], refund: Refund, now: datetime,
                               status: str = "SUCCESS") -> tuple[bytes, dict[str, str]]:
    from chalicelib.billing.providers.wechatpay import build_notification
    resource = {"mchid": str(keys["mchid"]), "out_trade_no": refund.order_id,
                "transaction_id": refund.provider_txn_id, "out_refund_no": refund.refund_id,
                "refund_id": refund.provider_refund_id or f"SBR{refund.refund_id}",
                "refund_status": status,
                "success_time": shanghai(now).isoformat(timespec="seconds"),
                "amount": {"total": refund.payment_amount_fen, "refund": refund.amount_fen,
                           "payer_total": refund.payment_amount_fen,
                           "payer_refund": refund.amount_fen},
                "user_received_account": "支付用户零钱"}
    return build_notification(keys, "REFUND.SUCCESS" if status == "SUCCESS" else "REFUND.ABNORMAL",
                              resource, now)


def _open_online_order(order_id: str) -> Order:
    order = store.get_order(order_id)
    if order is None:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    if order.channel not in ONLINE:
        raise ConflictError("银行转账订单请按页面所示账户汇款，由财务确认", code="NOT_ONLINE_ORDER")
    return order


def cashier_page(deps: Deps, order_id: str) -> str:
    order = _open_online_order(order_id)
    label = CHANNEL_LABELS[order.channel]
    esc = html.escape
    state = "待支付" if order.status == "open" else f"订单状态：{order.status}"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>沙箱收银台 · {esc(label)}</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
.amount{{font-size:2rem}}button{{font-size:1.2rem;padding:.6rem 2rem}}</style></head>
<body><h1>沙箱收银台（{esc(label)}）</h1>
<p>仅开发环境：点击后由沙箱按{esc(label)}的格式签名并发送支付通知。</p>
<p>订单号 <b>{esc(order.order_id)}</b> · {esc(order.payer_name)}{'（公务卡）' if order.official_card else ''}</p>
<p class="amount">￥{yuan(order.amount_fen)}</p><p>{esc(state)}</p>
<form method="post" action="/dev/pay/{esc(order.order_id)}"><button type="submit">确认支付</button></form>
</body></html>"""


def pay(deps: Deps, order_id: str, now: datetime, txn_id: str | None = None) -> dict[str, Any]:
    """Pay `order_id` as its provider would: a signed notification delivered to the webhook
    handler. Passing the same `txn_id` again replays the same transaction."""
    from chalicelib.billing import payments
    order = _open_online_order(order_id)
    if txn_id is None and order.status not in ("open", "closed"):
        # The provider refuses to take money twice for one out_trade_no (TRADE_HAS_SUCCESS);
        # a closed order's old QR code / page can still be paid (the late-money path).
        raise ConflictError("该订单已支付，渠道不会再次收款", code="ORDER_ALREADY_PAID",
                            status=order.status)
    keys = _keys(deps, order.channel)
    if order.channel == "alipay":
        txn = txn_id or "2026" + "".join(secrets.choice("0123456789") for _ in range(24))
        body = alipay_notification(keys, order.order_id, order.amount_fen, txn, now)
        status, reply = payments.handle_alipay(deps, body, now)
        result: dict[str, Any] = {"provider_status": status, "provider_reply": reply}
    else:
        txn = txn_id or "4200" + "".join(secrets.choice("0123456789") for _ in range(24))
        body, headers = wechat_payment_notification(keys, order.order_id, order.amount_fen, txn, now)
        status, answer = payments.handle_wechatpay(deps, body, headers, now)
        result = {"provider_status": status, "provider_reply": answer}
    current = store.get_order(order.order_id) or order
    result.update({"order_id": order.order_id, "txn_id": txn, "status": current.status})
    return result


def send_refund_notification(deps: Deps, refund: Refund, now: datetime) -> int:
    """WeChat sends a signed refund notice; the sandbox does it right away."""
    from chalicelib.billing import payments
    keys = _keys(deps, refund.channel)
    if refund.channel != "wechatpay" or not keys.get("platform_private_key"):
        return 0
    current = store.get_refund(refund.refund_id) or refund
    body, headers = wechat_refund_notification(keys, current, now)
    status, _ = payments.handle_wechatpay(deps, body, headers, now)
    return status
