"""The dev sandbox: plays Alipay / WeChat Pay.

- The simulated gateways receive the very signed request the real ones would and check it
  by the provider's rules before anything else: Alipay's gateway (`GET|POST
  /dev/pay/alipay/gateway.do`, the pay link of page pay and wap pay) RSA2 over every
  parameter but `sign` with the merchant public key; WeChat Pay's order API (`POST
  /dev/pay/wechatpay/v3/pay/transactions/{native|h5|jsapi}`, also called in-process by the
  simulator) the `Authorization` header; the JSAPI bridge the paySign. A request the
  provider would refuse gets the provider's error.
- The cashier then plays the product: Alipay's computer page or phone cashier, WeChat
  Pay's H5 page (`/dev/pay/wechatpay/checkmweb`), the WeixinJSBridge inside WeChat
  (`/dev/pay/wechatpay/jsbridge.js`), WeChat's web OAuth (`/dev/pay/wechatpay/connect/
  oauth2/authorize`) that gives JSAPI its openid.
- Paying builds the notification exactly as the provider would, signs it with the sandbox
  *provider* private key (from the dev key files), and hands the raw body and headers to
  the same handler the webhook route calls.
Dev and test stages only (the routes are registered only there; the simulated providers
are in sandbox_providers.py)."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from chalicelib.billing import payments, queries as billing
from chalicelib.billing.errors import OrderNotFoundError
from chalicelib.billing.providers import RefundRequest
from chalicelib.billing.providers import ProviderError, crypto
from chalicelib.billing.providers.alipay import sign_notification, verify_request
from chalicelib.billing.providers.keys import load_keys
from chalicelib.billing.providers.wechatpay import PAY_PATHS, build_notification, signed_message, verify_authorization, verify_pay_sign
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, ORDER_STATUS, PRODUCT_LABELS, OrderStatus, Product
from chalicelib.platform.clock import shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError
from chalicelib.platform.money import yuan


def alipay_passback_of(pay_url: str | None) -> str | None:
    """The `passback_params` our signed page / wap pay request sent Alipay (in its
    biz_content), exactly as sent: Alipay posts it back unchanged in the notification."""
    if not pay_url:
        return None
    params = dict(parse_qsl(urlparse(pay_url).query))
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        return None
    value = biz.get("passback_params") if isinstance(biz, dict) else None
    return str(value) if value else None


def alipay_notification(keys: dict[str, Any], order_id: str, amount_fen: int, txn_id: str,
                        now: datetime, trade_status: str = "TRADE_SUCCESS",
                        app_id: str | None = None, passback_params: str | None = None) -> bytes:
    """Alipay's asynchronous payment notification; `passback_params` as the pay request
    sent it (Alipay returns it 原样, in the notification only)."""
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
    if passback_params:
        params["passback_params"] = passback_params
    return urlencode(sign_notification(params, str(keys["alipay_private_key"]))).encode()


TRADE_TYPES = {Product.WECHAT_H5.value: "MWEB", Product.WECHAT_JSAPI.value: "JSAPI"}


def wechat_payment_notification(keys: dict[str, Any], order_id: str, amount_fen: int,
                                txn_id: str, now: datetime,
                                mchid: str | None = None, trade_type: str = "NATIVE",
                                attach: str | None = None) -> tuple[bytes, dict[str, str]]:
    """WeChat Pay's TRANSACTION.SUCCESS notification; `attach` as the order request sent it
    (returned 原样 inside the encrypted resource)."""
    resource: dict[str, Any] = {"appid": str(keys["appid"]), "mchid": mchid or str(keys["mchid"]),
                "out_trade_no": order_id, "transaction_id": txn_id, "trade_type": trade_type,
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": shanghai(now).isoformat(timespec="seconds"),
                "payer": {"openid": "o-sandbox-" + secrets.token_hex(6)},
                "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY",
                           "payer_currency": "CNY"}}
    if attach:
        resource["attach"] = attach
    return build_notification(keys, "TRANSACTION.SUCCESS", resource, now)


# What the simulated WeChat Pay remembers of each trade it was asked to create (the real
# one keeps the order request's `attach` and hands it back in the notification).
_WECHAT_TRADE_KEY = "sandbox:wechatpay-trade:{}"


def _remember_wechat_trade(order_id: str, doc: dict[str, Any]) -> None:
    from chalicelib.platform.store import kv
    kv.put_value(_WECHAT_TRADE_KEY.format(order_id), {"attach": doc.get("attach")})


def wechat_attach_of(order_id: str) -> str | None:
    """The `attach` the merchant's order request for `order_id` sent (None: none, or no
    order request reached the simulated API)."""
    from chalicelib.platform.store import kv
    trade = kv.get_value(_WECHAT_TRADE_KEY.format(order_id)) or {}
    value = trade.get("attach") if isinstance(trade, dict) else None
    return str(value) if value else None


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


def _product(order: Any) -> str:
    link = order.pay_link or {}
    return str(link.get("product") or (Product.ALIPAY_PAGE.value if order.channel == "alipay"
                                       else Product.WECHAT_NATIVE.value))


PHONE_PRODUCTS = (Product.ALIPAY_WAP.value, Product.WECHAT_H5.value, Product.WECHAT_JSAPI.value)
_STYLE_DESKTOP = ("body{font-family:sans-serif;max-width:32rem;margin:3rem auto}"
                  ".amount{font-size:2rem}button{font-size:1.2rem;padding:.6rem 2rem}"
                  ".qr{width:10rem;height:10rem;border:1px solid #999;display:grid;place-items:center;"
                  "color:#666;margin:1rem 0}")
_STYLE_PHONE = ("body{font-family:sans-serif;margin:0;padding:1rem;background:#f5f5f5}"
                "header{font-weight:bold;padding:.5rem 0 1rem}.sheet{background:#fff;border-radius:.6rem;"
                "padding:1.2rem;text-align:center}.amount{font-size:2.2rem;margin:.6rem 0}"
                "button{display:block;width:100%;font-size:1.15rem;padding:.9rem;border:0;border-radius:.4rem;"
                "color:#fff;background:var(--brand)}p{word-break:break-all}")


def _page(title: str, body: str, phone: bool, brand: str = "#0958d9") -> str:
    esc = html.escape
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">' if phone else ""
    style = (_STYLE_PHONE if phone else _STYLE_DESKTOP).replace("var(--brand)", brand)
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{viewport}'
            f"<title>{esc(title)}</title><style>{style}</style></head><body>{body}</body></html>")


def _pay_form(order: Any, return_url: str | None, label: str = "确认支付") -> str:
    esc = html.escape
    back = f'<input type="hidden" name="return_url" value="{esc(return_url)}">' if return_url else ""
    return (f'<form method="post" action="/dev/pay/{esc(order.order_id)}">{back}'
            f'<button type="submit">{esc(label)}</button></form>')


def cashier_page(deps: Deps, order_id: str, product: str | None = None,
                 return_url: str | None = None) -> str:
    """The provider's cashier for `order_id`, laid out as its product is (a phone cashier for
    wap / H5, the computer page with its QR code otherwise)."""
    order = _open_online_order(order_id)
    product = product or _product(order)
    label = CHANNEL_LABELS[order.channel]
    esc = html.escape
    state = ORDER_STATUS.label(order.status) if order.status == OrderStatus.OPEN.value else \
        f"订单状态：{order.status}"
    what = PRODUCT_LABELS.get(product, label)
    card = "（公务卡）" if order.official_card else ""
    brand = "#0958d9" if order.channel == "alipay" else "#05783a"  # white text at >= 4.5:1
    if product in PHONE_PRODUCTS:
        body = (f"<header>{esc(what)}（沙箱）</header><main class=\"sheet\" data-product=\"{esc(product)}\">"
                f"<h1>{esc(label)}收银台</h1><p>{esc(order.payer_name)}{card} · 订单号 {esc(order.order_id)}</p>"
                f'<p class="amount">￥{yuan(order.amount_fen)}</p><p>{esc(state)}</p>'
                f"{_pay_form(order, return_url, '确认付款')}"
                "<p><small>仅开发环境：点击后由沙箱按渠道格式签名并发送支付通知。</small></p></main>")
        return _page(f"沙箱收银台 · {what}", body, True, brand)
    body = (f"<h1>沙箱收银台（{esc(label)}）</h1><p data-product=\"{esc(product)}\">{esc(what)}</p>"
            f"<p>仅开发环境：点击后由沙箱按{esc(label)}的格式签名并发送支付通知。</p>"
            f"<p>订单号 <b>{esc(order.order_id)}</b> · {esc(order.payer_name)}{card}</p>"
            f'<p class="amount">￥{yuan(order.amount_fen)}</p><p>{esc(state)}</p>'
            '<div class="qr" aria-hidden="true">扫码付款（沙箱）</div>'
            f"{_pay_form(order, return_url)}")
    return _page(f"沙箱收银台 · {label}", body, False)


def safe_return(deps: Deps, url: str | None) -> str | None:
    """A return address the sandbox will send the browser to: only our own site."""
    base = deps.settings.public_base_url
    if url and (url == base or url.startswith(base + "/")):
        return url
    return None


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
        body = alipay_notification(keys, order.order_id, order.amount_fen, txn, now,
                                   passback_params=alipay_passback_of((order.pay_link or {}).get("pay_url")))
        status, reply = payments.handle_alipay(deps, body, now)
        result: dict[str, Any] = {"provider_status": status, "provider_reply": reply}
    else:
        txn = txn_id or "4200" + "".join(secrets.choice("0123456789") for _ in range(24))
        body, headers = wechat_payment_notification(
            keys, order.order_id, order.amount_fen, txn, now,
            trade_type=TRADE_TYPES.get(_product(order), "NATIVE"),
            attach=wechat_attach_of(order.order_id))
        status, answer = payments.handle_wechatpay(deps, body, headers, now)
        result = {"provider_status": status, "provider_reply": answer}
    current = billing.get_order(order.order_id) or order
    result.update({"order_id": order.order_id, "txn_id": txn, "status": current.status})
    return result


# --- the simulated Alipay gateway ----------------------------------------------------------
ALIPAY_GATEWAY_PATH = "/dev/pay/alipay/gateway.do"
ALIPAY_PAY_METHODS = {"alipay.trade.page.pay": Product.ALIPAY_PAGE.value,
                      "alipay.trade.wap.pay": Product.ALIPAY_WAP.value}
ALIPAY_ERRORS = {
    "isv.missing-signature": "缺少签名参数",
    "isv.invalid-signature": "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配",
    "isv.invalid-signature-type": "无效签名类型",
    "isv.invalid-app-id": "无效的AppID参数",
    "isv.invalid-method": "不存在的方法名",
    "isv.invalid-biz-content": "业务参数 biz_content 不是合法的 JSON",
    "isv.missing-out-trade-no": "缺少商户订单号 out_trade_no",
    "ACQ.TRADE_NOT_EXIST": "交易不存在",
}


def alipay_request_error(keys: dict[str, Any], params: dict[str, str]) -> str | None:
    """The sub_code Alipay's gateway answers a pay request with, or None when it is good:
    the signature first (RSA2 over every parameter but `sign`, merchant public key)."""
    if not params.get("sign"):
        return "isv.missing-signature"
    if params.get("sign_type") != "RSA2":
        return "isv.invalid-signature-type"
    if params.get("app_id") != str(keys["app_id"]):
        return "isv.invalid-app-id"
    if not verify_request(params, str(keys["merchant_public_key"])):
        return "isv.invalid-signature"
    if params.get("method") not in ALIPAY_PAY_METHODS:
        return "isv.invalid-method"
    try:
        biz = json.loads(params.get("biz_content") or "")
    except ValueError:
        return "isv.invalid-biz-content"
    if not isinstance(biz, dict) or not biz.get("out_trade_no"):
        return "isv.missing-out-trade-no"
    return None


def alipay_gateway(deps: Deps, params: dict[str, str]) -> tuple[int, str]:
    """(status, HTML) of Alipay's gateway for a page pay / wap pay request: the provider's
    error page for a request it would refuse, else the cashier of that product."""
    keys = load_keys(deps, "alipay")
    error = alipay_request_error(keys, params)
    order = None
    if error is None:
        biz = json.loads(params["biz_content"])
        order = billing.get_order(str(biz["out_trade_no"]))
        if order is None or order.channel != "alipay":
            error = "ACQ.TRADE_NOT_EXIST"
    if error is not None or order is None:
        code = error or "ACQ.TRADE_NOT_EXIST"
        body = (f"<h1>支付宝 · 错误</h1><p>错误代码 <code id=\"error-code\">{html.escape(code)}</code></p>"
                f"<p>错误原因：{html.escape(ALIPAY_ERRORS[code])}</p>")
        return 400, _page("支付宝 · 错误", body, False)
    product = ALIPAY_PAY_METHODS[params["method"]]
    return 200, cashier_page(deps, order.order_id, product, safe_return(deps, params.get("return_url")))


# --- the simulated WeChat Pay order API, H5 page, JSAPI bridge, web OAuth ----------------------
WECHAT_PREFIX = "/dev/pay/wechatpay"
_PRODUCT_OF_PATH = {path: product for product, path in PAY_PATHS.items()}


def prepay_id_for(order_id: str, now: datetime) -> str:
    """A prepay id in WeChat's shape (`wx` + 14 digits + ...), naming our order."""
    return f"wx{shanghai(now):%Y%m%d%H%M%S}{order_id}"


def order_of_prepay(prepay_id: str) -> str | None:
    if not prepay_id.startswith("wx") or len(prepay_id) <= 16 or not prepay_id[2:16].isdigit():
        return None
    return prepay_id[16:]


def _wx_answer(keys: dict[str, Any], status: int, doc: dict[str, Any] | None,
               now: datetime) -> tuple[int, bytes, dict[str, str]]:
    """An answer of WeChat Pay's API, signed with the platform key like the real one."""
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() if doc else b""
    ts, nonce = str(int(now.timestamp())), secrets.token_hex(16)
    return status, raw, {
        "Content-Type": "application/json", "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": str(keys["platform_serial"]),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": crypto.sign(str(keys["platform_private_key"]),
                                           signed_message(ts, nonce, raw))}


def _param_error(field: str, label: str) -> dict[str, str]:
    return {"code": "PARAM_ERROR",
            "message": f"输入源“/body/{field}”映射到值字段“{label}”必填性规则校验失败，此字段为必填项"}


def wechat_order_error(keys: dict[str, Any], product: str, doc: Any) -> tuple[int, dict[str, str]] | None:
    """What WeChat Pay refuses in an order body (after the signature): mchid/appid, the
    fields every product needs, H5's scene_info, JSAPI's payer."""
    if not isinstance(doc, dict):
        return 400, {"code": "PARAM_ERROR", "message": "请求体不是合法的 JSON 对象"}
    if str(doc.get("mchid")) != str(keys["mchid"]) or str(doc.get("appid")) != str(keys["appid"]):
        return 400, {"code": "APPID_MCHID_NOT_MATCH", "message": "appid和mch_id不匹配"}
    for field, label in (("description", "商品描述"), ("out_trade_no", "商户订单号"),
                         ("notify_url", "通知地址")):
        if not doc.get(field):
            return 400, _param_error(field, label)
    attach = doc.get("attach")
    if attach is not None and (not isinstance(attach, str) or not 1 <= len(attach) <= 128):
        return 400, {"code": "PARAM_ERROR", "message": "附加数据 attach 长度应为 1-128 个字符"}
    amount = doc.get("amount")
    if not isinstance(amount, dict) or not isinstance(amount.get("total"), int) or amount["total"] <= 0:
        return 400, _param_error("amount/total", "总金额")
    if product == Product.WECHAT_H5.value:
        scene = doc.get("scene_info")
        if not isinstance(scene, dict) or not scene.get("payer_client_ip"):
            return 400, _param_error("scene_info/payer_client_ip", "用户终端IP")
        if not isinstance(scene.get("h5_info"), dict) or not scene["h5_info"].get("type"):
            return 400, _param_error("scene_info/h5_info/type", "场景类型")
    if product == Product.WECHAT_JSAPI.value:
        payer = doc.get("payer")
        if not isinstance(payer, dict) or not payer.get("openid"):
            return 400, _param_error("payer/openid", "用户标识")
    return None


def wechat_api(deps: Deps, method: str, path: str, body: bytes, authorization: str,
               now: datetime) -> tuple[int, bytes, dict[str, str]]:
    """WeChat Pay's order API (`path` as the merchant signed it, e.g.
    /v3/pay/transactions/h5): the Authorization header checked first (401 SIGN_ERROR),
    then the body; answers code_url / h5_url / prepay_id, signed with the platform key."""
    keys = load_keys(deps, "wechatpay")
    if not verify_authorization(authorization, method, path, body,
                                str(keys["merchant_public_key"]), str(keys["mchid"]), now):
        return _wx_answer(keys, 401, {"code": "SIGN_ERROR", "message": "签名错误，请检查后再试"}, now)
    product = _PRODUCT_OF_PATH.get(path)
    if method != "POST" or product is None:
        return _wx_answer(keys, 404, {"code": "NOT_FOUND", "message": "请求的资源不存在"}, now)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    refused = wechat_order_error(keys, product, doc)
    if refused is not None:
        return _wx_answer(keys, refused[0], refused[1], now)
    order_id = str(doc["out_trade_no"])
    _remember_wechat_trade(order_id, doc)
    base = deps.settings.public_base_url
    if product == Product.WECHAT_NATIVE.value:
        return _wx_answer(keys, 200, {"code_url": f"{base}/dev/pay/{order_id}"}, now)
    prepay = prepay_id_for(order_id, now)
    if product == Product.WECHAT_H5.value:
        package = "".join(secrets.choice("0123456789") for _ in range(10))
        return _wx_answer(keys, 200, {"h5_url": f"{base}{WECHAT_PREFIX}/checkmweb?"
                                      + urlencode({"prepay_id": prepay, "package": package})}, now)
    return _wx_answer(keys, 200, {"prepay_id": prepay}, now)


def wechat_h5_page(deps: Deps, prepay_id: str, redirect_url: str | None) -> tuple[int, str]:
    """The H5 cashier h5_url opens in the phone's browser."""
    order_id = order_of_prepay(prepay_id)
    if order_id is None or billing.get_order(order_id) is None:
        return 400, _page("微信支付 · 错误", "<h1>微信支付</h1><p>商家参数格式有误，请联系商家解决（prepay_id 无效）</p>", True)
    return 200, cashier_page(deps, order_id, Product.WECHAT_H5.value, safe_return(deps, redirect_url))


def wechat_jsapi_pay(deps: Deps, params: Any, now: datetime) -> tuple[int, dict[str, Any]]:
    """What WeChat does with getBrandWCPayRequest: checks appId and the paySign (merchant
    public key), then the payer pays and the signed notification goes to our webhook."""
    keys = load_keys(deps, "wechatpay")
    fail = {"err_msg": "get_brand_wcpay_request:fail"}
    if not isinstance(params, dict) or str(params.get("appId")) != str(keys["appid"]):
        return 400, {**fail, "err_desc": "appId 与商户号不匹配"}
    if not verify_pay_sign(params, str(keys["merchant_public_key"])):
        return 400, {**fail, "err_desc": "支付验证签名失败"}
    package = str(params.get("package", ""))
    order_id = order_of_prepay(package.removeprefix("prepay_id="))
    order = billing.get_order(order_id) if order_id else None
    if order is None or order.channel != "wechatpay":
        return 400, {**fail, "err_desc": "prepay_id 无效"}
    result = pay(deps, order.order_id, now)
    return 200, {"err_msg": "get_brand_wcpay_request:ok", **result}


def sandbox_openid(appid: str, code: str) -> str:
    """sns/oauth2/access_token, simulated: the code the sandbox OAuth gave → an openid
    (28 characters, like WeChat's)."""
    if not code.startswith("SBX") or len(code) < 12:
        raise ProviderError("wechat oauth: 40029 invalid code")
    digest = hashlib.sha256(f"{appid}:{code}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def wechat_oauth(deps: Deps, params: dict[str, str]) -> tuple[int, str, str | None]:
    """WeChat's web OAuth (snsapi_base) page: (status, HTML, Location). A good request comes
    back to redirect_uri with `code` and `state` (before any `#`, as WeChat does)."""
    keys = load_keys(deps, "wechatpay")
    redirect = safe_return(deps, params.get("redirect_uri"))
    problem = None
    if params.get("appid") != str(keys["appid"]):
        problem = "appid 参数错误（40013 invalid appid）"
    elif params.get("response_type") != "code" or params.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
        problem = "参数错误（10004 response_type/scope）"
    elif redirect is None:
        problem = "redirect_uri 参数错误（10003），与后台配置的网页授权域名不一致"
    if problem is not None:
        return 400, _page("微信授权 · 错误", f"<h1>微信网页授权</h1><p>{html.escape(problem)}</p>", True), None
    assert redirect is not None
    code = "SBX" + secrets.token_hex(12)
    where, _, fragment = redirect.partition("#")
    query = urlencode({"code": code, "state": params.get("state", "")})
    location = f"{where}{'&' if '?' in where else '?'}{query}" + (f"#{fragment}" if fragment else "")
    return 302, "", location


JSBRIDGE_JS = r"""// Sandbox WeixinJSBridge (dev stage only): what WeChat's browser does with
// getBrandWCPayRequest. It shows WeChat's pay sheet; 确认支付 hands the signed parameters
// to the simulated WeChat Pay, which checks the paySign before it takes the money.
(function () {
  if (window.WeixinJSBridge) return;
  function sheet(params, cb) {
    var box = document.createElement("div");
    box.id = "wx-sandbox-sheet";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "微信支付（沙箱）");
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;background:#fff;padding:1rem;" +
      "box-shadow:0 -2px 12px rgba(0,0,0,.25);z-index:9999;font-family:sans-serif;text-align:center";
    box.innerHTML = '<p style="font-weight:bold">微信支付（沙箱）</p><p class="wx-error" role="alert"></p>' +
      '<button type="button" data-act="pay" style="display:block;width:100%;padding:.9rem;font-size:1.1rem;' +
      'color:#fff;background:#05783a;border:0;border-radius:.4rem">确认支付</button>' +
      '<button type="button" data-act="cancel" style="margin-top:.6rem;background:none;border:0;padding:.6rem">取消</button>';
    document.body.appendChild(box);
    box.querySelector("[data-act=cancel]").onclick = function () {
      box.remove(); cb({ err_msg: "get_brand_wcpay_request:cancel" });
    };
    box.querySelector("[data-act=pay]").onclick = function () {
      fetch("/dev/pay/wechatpay/jsapi-pay", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(params) })
        .then(function (r) { return r.json(); })
        .then(function (res) {
          if (res.err_msg === "get_brand_wcpay_request:ok") { box.remove(); }
          else { box.querySelector(".wx-error").textContent = res.err_desc || "支付失败"; }
          cb(res);
        }, function () { cb({ err_msg: "get_brand_wcpay_request:fail" }); });
    };
  }
  window.WeixinJSBridge = {
    invoke: function (name, params, cb) {
      if (name !== "getBrandWCPayRequest") { cb({ err_msg: name + ":fail" }); return; }
      sheet(params, cb || function () {});
    },
  };
  document.dispatchEvent(new Event("WeixinJSBridgeReady"));
})();
"""
