"""Routes of the refunds feature: the trainee's request, finance's work list and
completion of bank-transfer refunds."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.platform.http import Ctx, route
from chalicelib.billing import refunds

bp = Blueprint(__name__)
FINANCE = ("finance", "admin")
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
REFUND_OUT = {"type": "object", "required": ["refund_id", "status", "amount_fen", "order_id"],
              "properties": {"refund_id": {"type": "string"}, "order_id": {"type": "string"},
                             "status": {"type": "string",
                                        "enum": ["requested", "processing", "done", "failed"]},
                             "amount_fen": {"type": "integer"}, "kind": {"type": "string"}}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RefundIn(_Body):
    order_id: Id
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CompleteIn(_Body):
    bank_serial: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class RefundQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["requested", "processing", "failed", "done"] = "requested"
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)


@route(bp, "/refunds", "POST", summary="申请退费（已交费且已通过的报名，截至开课前）", roles=("trainee",),
       body=RefundIn, response=REFUND_OUT, status=201, tags=("refunds",), errors=(404, 409))
def request_refund(ctx: Ctx) -> dict[str, Any]:
    b: RefundIn = ctx.body
    return refunds.request_refund(ctx.deps, ctx.user.sub, b.order_id, b.reason, ctx.now)


@route(bp, "/admin/refunds", summary="退款单列表（财务待办：requested 为待办理的银行转账退款）",
       roles=FINANCE, query=RefundQuery, tags=("finance",),
       response={"type": "object", "required": ["refunds"],
                 "properties": {"refunds": {"type": "array", "items": REFUND_OUT}}})
def list_refunds(ctx: Ctx) -> dict[str, Any]:
    q: RefundQuery = ctx.query
    return refunds.list_refunds(ctx.deps, q.status, q.limit, q.next_token)


@route(bp, "/admin/refunds/{refund_id}/complete", "POST",
       summary="财务登记已办理的退款（银行流水号唯一）", roles=FINANCE, body=CompleteIn,
       response=REFUND_OUT, tags=("finance",), errors=(404, 409))
def complete_refund(ctx: Ctx, refund_id: str) -> dict[str, Any]:
    return refunds.complete_by_finance(ctx.deps, refund_id, ctx.body.bank_serial, ctx.user.sub,
                                       ctx.now)
