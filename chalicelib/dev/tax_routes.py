"""The tax-provider simulator's routes (dev and test stages only). The simulated provider's
host is this app under /dev/tax: its gateway answers at /dev/tax/open/v1/services (诺诺's
/open/v1/services), its documents at /dev/tax/files/<serial>.pdf. The platform itself talks
to the simulator in-process (a dev server cannot call itself); these routes let outside
clients (nuonuo-sdk, curl) speak the same protocol to it."""
from __future__ import annotations

import json
from typing import Any

from chalice import Response
from chalice import Blueprint
from pydantic import Field

from chalicelib.dev import tax_simulator
from chalicelib.invoicing.credentials import load_credentials
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Body

bp = Blueprint(__name__)


class FailIn(Body):
    issue: int = Field(default=0, ge=0, le=100)  # the next N orders fail once at the bureau
    http: int = Field(default=0, ge=0, le=100)  # the answers to the next N calls are lost


FAIL_OUT = {"type": "object", "required": ["issue", "http"],
            "properties": {"issue": {"type": "integer"}, "http": {"type": "integer"}}}


def _simulator(ctx: Ctx) -> tax_simulator.TaxSimulator:
    if not ctx.deps.settings.is_dev:
        raise NotFoundError()
    return tax_simulator.TaxSimulator(load_credentials(ctx.deps), ctx.deps.now)


@route(bp, "/dev/tax/open/v1/services", "POST", summary="模拟诺诺开放平台网关（验签、公共参数、业务报文）（仅开发环境）",
       raw=True, content_types=("application/json",), tags=("dev",), response={"type": "object"})
def services(ctx: Ctx) -> Response:
    sim = _simulator(ctx)
    query = {k: str(v) for k, v in (ctx.request.query_params or {}).items()}
    status, envelope = sim.handle(query, dict(ctx.request.headers), ctx.request.raw_body or b"")
    return Response(body=json.dumps(envelope, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8"})


@route(bp, "/dev/tax/files/{name}", summary="模拟服务商的版式文件（PDF 上印有“模拟”）（仅开发环境）",
       tags=("dev",), response={"type": "string"}, errors=(404,), media_type="application/pdf")
def document(ctx: Ctx, name: str) -> Response:
    status, body, ctype = _simulator(ctx).document(name)
    # PDF and OFD (a zip) travel as the app's binary types; XML and the 404 as text
    binary = ctype in ("application/pdf", "application/ofd")
    return Response(body=body if binary else body.decode("utf-8"), status_code=status,
                    headers={"Content-Type": "application/octet-stream" if ctype == "application/ofd"
                             else ctype})


@route(bp, "/dev/tax/fail", "POST", summary="让模拟服务商失败：issue=接下来 N 张票开具失败一次；http=接下来 N 次应答丢失（仅开发环境）",
       body=FailIn, response=FAIL_OUT, tags=("dev",))
def fail(ctx: Ctx) -> dict[str, Any]:
    _simulator(ctx)
    body: FailIn = ctx.body
    return tax_simulator.set_fail_modes(body.issue, body.http)
