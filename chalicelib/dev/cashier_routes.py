"""The sandbox cashier and simulated provider gateways (dev/test stages only; registered
inside app.py's dev block). What each checks and plays: chalicelib/dev/sandbox.py."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from chalice import Blueprint, Response

from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Ctx, route
from chalicelib.dev import sandbox

bp = Blueprint(__name__)


def _dev_only(ctx: Ctx) -> None:
    if not ctx.deps.settings.is_dev:
        raise NotFoundError()


@route(bp, "/dev/pay/{order_id}", summary="沙箱收银台页面（仅开发环境）", tags=("dev",),
       response={"type": "string"}, errors=(404, 409), media_type="text/html")
def cashier(ctx: Ctx, order_id: str) -> Response:
    _dev_only(ctx)
    return Response(body=sandbox.cashier_page(ctx.deps, order_id), status_code=200,
                    headers={"Content-Type": "text/html; charset=utf-8"})


@route(bp, "/dev/pay/{order_id}", "POST", summary="沙箱支付：按渠道格式签名并投递支付通知（仅开发环境）",
       raw=True, content_types=("application/json", "application/x-www-form-urlencoded"),
       tags=("dev",), errors=(404, 409), response={"type": "object"})
def pay(ctx: Ctx, order_id: str) -> Any:
    _dev_only(ctx)
    txn_id = None
    raw = ctx.request.raw_body or b""
    ctype = (ctx.request.headers.get("content-type") or "").split(";")[0].strip()
    if raw.strip() and ctype == "application/json":
        try:
            data = json.loads(raw)
            txn_id = str(data["txn_id"])[:64] if isinstance(data, dict) and data.get("txn_id") else None
        except ValueError:
            txn_id = None
    back = None
    if raw.strip() and ctype == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        back = sandbox.safe_return(ctx.deps, form.get("return_url"))
    result = sandbox.pay(ctx.deps, order_id, ctx.now, txn_id)
    if back:  # the cashier's page goes back to the merchant, as the provider's does
        return Response(body="", status_code=303, headers={"Location": back})
    return result


def _html(status: int, page: str) -> Response:
    return Response(body=page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def _params(ctx: Ctx) -> dict[str, str]:
    """The request's parameters: the query string, or a form body (a gateway takes both)."""
    params = {k: str(v) for k, v in (ctx.request.query_params or {}).items()}
    raw = ctx.request.raw_body or b""
    if ctx.request.method == "POST" and raw.strip():
        params.update(dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
    return params


@route(bp, "/dev/pay/alipay/gateway.do", summary="模拟支付宝网关：按支付宝规则验签后显示电脑/手机收银台（仅开发环境）",
       tags=("dev",), response={"type": "string"}, errors=(400, 404), media_type="text/html")
def alipay_gateway(ctx: Ctx) -> Response:
    _dev_only(ctx)
    return _html(*sandbox.alipay_gateway(ctx.deps, _params(ctx)))


@route(bp, "/dev/pay/alipay/gateway.do", "POST", summary="模拟支付宝网关（表单提交）（仅开发环境）",
       raw=True, content_types=("application/x-www-form-urlencoded",), tags=("dev",),
       response={"type": "string"}, errors=(400, 404), media_type="text/html")
def alipay_gateway_form(ctx: Ctx) -> Response:
    _dev_only(ctx)
    return _html(*sandbox.alipay_gateway(ctx.deps, _params(ctx)))


@route(bp, "/dev/pay/wechatpay/v3/pay/transactions/{product}", "POST",
       summary="模拟微信支付下单接口（native/h5/jsapi）：校验 Authorization 签名（仅开发环境）",
       raw=True, content_types=("application/json",), tags=("dev",), errors=(400, 401, 404),
       response={"type": "object"})
def wechat_order(ctx: Ctx, product: str) -> Response:
    _dev_only(ctx)
    headers = {k.lower(): v for k, v in (ctx.request.headers or {}).items()}
    status, raw, answer_headers = sandbox.wechat_api(
        ctx.deps, "POST", f"/v3/pay/transactions/{product}", ctx.request.raw_body or b"",
        headers.get("authorization", ""), ctx.now)
    return Response(body=raw.decode("utf-8"), status_code=status, headers=dict(answer_headers.items()))


@route(bp, "/dev/pay/wechatpay/checkmweb", summary="模拟微信 H5 支付页（手机浏览器）（仅开发环境）",
       tags=("dev",), response={"type": "string"}, errors=(400, 404), media_type="text/html")
def wechat_h5(ctx: Ctx) -> Response:
    _dev_only(ctx)
    params = _params(ctx)
    return _html(*sandbox.wechat_h5_page(ctx.deps, params.get("prepay_id", ""), params.get("redirect_url")))


@route(bp, "/dev/pay/wechatpay/jsapi-pay", "POST",
       summary="模拟微信内 getBrandWCPayRequest：校验 paySign 后支付（仅开发环境）", raw=True,
       tags=("dev",), errors=(400, 404, 409), response={"type": "object"})
def wechat_jsapi(ctx: Ctx) -> Response:
    _dev_only(ctx)
    try:
        params = json.loads(ctx.request.raw_body or b"null")
    except ValueError:
        params = None
    status, answer = sandbox.wechat_jsapi_pay(ctx.deps, params, ctx.now)
    return Response(body=json.dumps(answer, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json"})


@route(bp, "/dev/pay/wechatpay/jsbridge.js", summary="模拟 WeixinJSBridge 脚本（仅开发环境）",
       tags=("dev",), response={"type": "string"}, errors=(404,), media_type="text/javascript")
def wechat_jsbridge(ctx: Ctx) -> Response:
    _dev_only(ctx)
    return Response(body=sandbox.JSBRIDGE_JS, status_code=200,
                    headers={"Content-Type": "text/javascript; charset=utf-8"})


@route(bp, "/dev/pay/wechatpay/connect/oauth2/authorize",
       summary="模拟微信网页授权（snsapi_base）：带 code 与 state 回到 redirect_uri（仅开发环境）",
       tags=("dev",), response={"type": "string"}, errors=(400, 404), media_type="text/html")
def wechat_oauth(ctx: Ctx) -> Response:
    _dev_only(ctx)
    status, page, location = sandbox.wechat_oauth(ctx.deps, _params(ctx))
    if location:
        return Response(body="", status_code=302, headers={"Location": location})
    return _html(status, page)
