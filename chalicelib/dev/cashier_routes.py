"""The sandbox cashier (dev/test stages only; registered inside app.py's dev block)."""
from __future__ import annotations

import json
from typing import Any

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
    return sandbox.pay(ctx.deps, order_id, ctx.now, txn_id)
