"""The dev sandbox cashier: plays Alipay / WeChat Pay. It builds the notification exactly as
the provider would, signs it with the sandbox *provider* private key (from the dev key
files), and hands the raw body and headers to the same handler the webhook route calls.
Dev and test stages only (the routes are registered only there; the simulated providers
are in sandbox_providers.py)."""
from __future__ import annotations

import html
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalicelib.billing import payments, queries as billing
from chalicelib.billing.errors import OrderNotFoundError
from chalicelib.billing.providers import RefundRequest
from chalicelib.billing.providers.alipay import sign_notification
from chalicelib.billing.providers.keys import load_keys
from chalicelib.billing.providers.wechatpay import build_notification
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, ORDER_STATUS, OrderStatus
from chalicelib.platform.clock import shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError
from chalicelib.platform.money import yuan


def alipay_notification(keys: dict[str, Any], order_id: str, amount_fen: int, txn_id: str,
                        now: datetime, trade_status: str = "TRADE_SUCCESS",
                        app_id: str | None = None) -> bytes:
    stamp = shanghai(now).strftime("%Y-%m-%d %H:%M:%S")
    params = {
        "notify_time": stamp, "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16), "app_id": app_id or str(keys["app_id"]),
        "charset": "utf-8", "version": "1.0", "trade_no": txn_id, "out_trade_no": order_id,
        "buyer_id": "2088" + "".join(secrets.choice("0123456789") for _ in range(12)),
        "seller_id": "2088000000000000", "trade_status": trade_status,
        "total_amount": yuan(amount_fen), "receipt_amount": yuan(amount_fen),
        "buyer_pay_amount": yuan(amount_fen), "subject": "在职培训 培训费",
        "gmt_create": stamp, "gmt_payment": stamp}
    return urlencode(sign_notification(params, str(keys["alipay_private_key"]))).encode()


def wechat_payment_notification(keys: dict[str, Any], order_id: str, amount_fen: int,
                                txn_id: str, now: datetime,
                                mchid: str | None = None) -> tuple[bytes, dict[str, str]]:
    resource = {"appid": str(keys["appid"]), "mchid": mchid or str(keys["mchid"]),
                "out_trade_no": order_id, "transaction_id": txn_id, "trade_type": "NATIVE",
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": shanghai(now).isoformat(timespec="seconds"),
                "payer": {"openid": "o-sandbox-" + secrets.token_hex(6)},
                "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY",
                           "payer_currency": "CNY"}}
    return build_notification(keys, "TRANSACTION.SUCCESS", resource, now)


def wechat_refund_notification(keys: dict[str, Any], refund: Any, now: datetime,
                               status: str = "SUCCESS") -> tuple[bytes, dict[str, str]]:
    """WeChat's refund notification of our refund record (a replay, in tests)."""
    return _refund_notice(keys, refund.order_id, refund.provider_txn_id, refund.refund_id,
                          refund.provider_refund_id or f"SBR{refund.refund_id}",
                          int(refund.payment_amount_fen), int(refund.amount_fen), now, status)


def wechat_refund_notice_for(keys: dict[str, Any], req: RefundRequest, refund_id: str,
                             now: datetime) -> tuple[bytes, dict[str, str]]:
    """WeChat's refund notification for the refund call it was asked (`refund_id`: its own)."""
    return _refund_notice(keys, req.order_id, req.txn_id, req.refund_id, refund_id,
                          req.payment_amount_fen, req.amount_fen, now, "SUCCESS")


def _refund_notice(keys: dict[str, Any], order_id: str, txn_id: str, out_refund_no: str,
                   refund_id: str, total_fen: int, refund_fen: int, now: datetime,
                   status: str) -> tuple[bytes, dict[str, str]]:
    resource = {"mchid": str(keys["mchid"]), "out_trade_no": order_id,
                "transaction_id": txn_id, "out_refund_no": out_refund_no,
                "refund_id": refund_id, "refund_status": status,
                "success_time": shanghai(now).isoformat(timespec="seconds"),
                "amount": {"total": total_fen, "refund": refund_fen, "payer_total": total_fen,
                           "payer_refund": refund_fen},
                "user_received_account": "支付用户零钱"}
    return build_notification(keys, "REFUND.SUCCESS" if status == "SUCCESS" else "REFUND.ABNORMAL",
                              resource, now)


def _open_online_order(order_id: str) -> Any:
    order = billing.get_order(order_id)
    if order is None:
        raise OrderNotFoundError()
    if order.channel not in ONLINE:
        raise ConflictError("银行转账订单请按页面所示账户汇款，由财务确认", code="NOT_ONLINE_ORDER")
    return order


def cashier_page(deps: Deps, order_id: str) -> str:
    order = _open_online_order(order_id)
    label = CHANNEL_LABELS[order.channel]
    esc = html.escape
    state = ORDER_STATUS.label(order.status) if order.status == OrderStatus.OPEN.value else \
        f"订单状态：{order.status}"
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
    order = _open_online_order(order_id)
    if txn_id is None and not ORDER_STATUS.can_move(order.status, OrderStatus.PAID):
        # The provider refuses to take money twice for one out_trade_no (TRADE_HAS_SUCCESS);
        # a closed order's old QR code / page can still be paid (the late-money path).
        raise ConflictError("该订单已支付，渠道不会再次收款", code="ORDER_ALREADY_PAID",
                            status=order.status)
    keys = load_keys(deps, order.channel)
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
    current = billing.get_order(order.order_id) or order
    result.update({"order_id": order.order_id, "txn_id": txn, "status": current.status})
    return result
