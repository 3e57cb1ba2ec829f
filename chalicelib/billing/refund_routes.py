"""Routes of refunds: the trainee's request, finance's work list and completion of
bank-transfer refunds."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.billing import refunds
from chalicelib.billing.models import CompleteRefundIn, RefundIn, RefundListOut, RefundOut, RefundQuery
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)
FINANCE = ("finance", "admin")


@route(bp, "/refunds", "POST", summary="申请退费（已交费且已通过的报名，截至开课前）", roles=("trainee",),
       body=RefundIn, response=RefundOut, status=201, tags=("refunds",), errors=(404, 409))
def request_refund(ctx: Ctx) -> RefundOut:
    b: RefundIn = ctx.body
    return RefundOut.model_validate(refunds.request_refund(ctx.deps, ctx.user.sub, b.order_id,
                                                           b.reason, ctx.now))


@route(bp, "/admin/refunds", summary="退款单列表（财务待办：requested 为待办理的银行转账退款）",
       roles=FINANCE, query=RefundQuery, response=RefundListOut, tags=("finance",))
def list_refunds(ctx: Ctx) -> RefundListOut:
    q: RefundQuery = ctx.query
    return RefundListOut.model_validate(refunds.list_refunds(ctx.deps, q.status, q.limit,
                                                             q.next_token))


@route(bp, "/admin/refunds/{refund_id}/complete", "POST",
       summary="财务登记已办理的退款（银行流水号唯一）", roles=FINANCE, body=CompleteRefundIn,
       response=RefundOut, tags=("finance",), errors=(404, 409))
def complete_refund(ctx: Ctx, refund_id: str) -> RefundOut:
    return RefundOut.model_validate(refunds.complete_by_finance(
        ctx.deps, refund_id, ctx.body.bank_serial, ctx.user.sub, ctx.now))
