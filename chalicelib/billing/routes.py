"""Routes of the payments feature: orders, provider webhooks, bank transfers (finance),
bank statement reconciliation, group remittances (units)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.platform.observability import count
from chalicelib.platform.http import Ctx, route
from chalicelib.billing import orders, payments

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
OWNERS = ("trainee", "unit")
FINANCE = ("finance", "admin")
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40,
                                      pattern=r"^[A-Za-z0-9_-]+$")]

ORDER_OUT = {"type": "object", "required": ["order_id", "status", "amount_fen", "channel"],
             "properties": {"order_id": {"type": "string"}, "status": {"type": "string",
                            "enum": ["open", "paid", "closed", "refunding", "refunded"]},
                            "amount_fen": {"type": "integer"}, "channel": {"type": "string"},
                            "kind": {"type": "string"}, "official_card": {"type": "boolean"},
                            "pay_url": {"type": "string"}, "code_url": {"type": "string"},
                            "bank_instructions": {"type": "object"}, "memo": {"type": "string"},
                            "review_due_at": {"type": "string"},
                            "registration_ids": {"type": "array", "items": {"type": "string"}}}}
ORDER_LIST_OUT = {"type": "object", "required": ["orders"],
                  "properties": {"orders": {"type": "array", "items": ORDER_OUT},
                                 "next_token": {"type": "string"}}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderIn(_Body):
    registration_id: Id
    channel: Literal["alipay", "wechatpay", "bank_transfer"]
    official_card: bool = False


class ConfirmTransferIn(_Body):
    line_id: Id | None = None
    bank_serial: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=64)] | None = None
    amount_fen: int | None = Field(default=None, gt=0, le=100_000_000)


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)


@route(bp, "/orders", "POST", summary="为已通过审核的报名下单（金额取报名锁定的费用）", roles=TRAINEE,
       body=OrderIn, response=ORDER_OUT, status=201, tags=("payments",), errors=(404, 409, 503))
def create_order(ctx: Ctx) -> dict[str, Any]:
    b: OrderIn = ctx.body
    return orders.create_order(ctx.deps, ctx.user.sub, b.registration_id, b.channel,
                               b.official_card, ctx.now)


@route(bp, "/orders/mine", summary="我的订单（学员含持有其报名的集体订单）", roles=OWNERS,
       response=ORDER_LIST_OUT, tags=("payments",))
def my_orders(ctx: Ctx) -> dict[str, Any]:
    return orders.list_mine(ctx.deps, ctx.user.sub)


@route(bp, "/orders/{order_id}", summary="订单详情（含款项与退款）", roles=OWNERS + FINANCE,
       response=ORDER_OUT, tags=("payments",), errors=(404,))
def get_order(ctx: Ctx, order_id: str) -> dict[str, Any]:
    staff = ctx.user.has(*FINANCE)
    return orders.show_order(ctx.deps, order_id, None if staff else ctx.user.sub)


@route(bp, "/orders/{order_id}/receipt", summary="交费凭证（可打印；注明是否公务卡支付）",
       roles=OWNERS + FINANCE, tags=("payments",), errors=(404, 409), response={"type": "string"})
def receipt(ctx: Ctx, order_id: str) -> Response:
    staff = ctx.user.has(*FINANCE)
    page = orders.receipt_html(ctx.deps, order_id, None if staff else ctx.user.sub)
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@route(bp, "/orders/{order_id}/cancel", "POST", summary="取消未支付的订单", roles=OWNERS,
       response=ORDER_OUT, tags=("payments",), errors=(404, 409))
def cancel_order(ctx: Ctx, order_id: str) -> dict[str, Any]:
    return orders.cancel_order(ctx.deps, order_id, ctx.user.sub, ctx.now)


# --- provider webhooks (public; trust comes from the signature) ----------------------------
def observe_webhook(status: int) -> None:
    """The metrics infra/ alarms on: refused notifications (forged, stale, probes) and
    failures the provider will retry."""
    if status >= 500:
        count("WebhookFailed")
    elif status >= 400:
        count("WebhookRejected")


@route(bp, "/webhooks/alipay", "POST", summary="支付宝异步通知（表单，RSA2 签名）；应答 success",
       raw=True, content_types=("application/x-www-form-urlencoded", "text/plain"),
       tags=("webhooks",), errors=(400, 503))
def alipay_webhook(ctx: Ctx) -> Response:
    status, body = payments.handle_alipay(ctx.deps, ctx.request.raw_body or b"", ctx.now,
                                          getattr(bp, "lambda_context", None))
    observe_webhook(status)
    return Response(body=body, status_code=status, headers={"Content-Type": "text/plain"})


@route(bp, "/webhooks/wechatpay", "POST", summary="微信支付 APIv3 通知（签名头，AES-256-GCM 资源）",
       raw=True, content_types=("application/json", "text/plain"), tags=("webhooks",),
       errors=(401, 503))
def wechatpay_webhook(ctx: Ctx) -> Response:
    headers = {k.lower(): v for k, v in (ctx.request.headers or {}).items()}
    status, answer = payments.handle_wechatpay(ctx.deps, ctx.request.raw_body or b"", headers, ctx.now,
                                               getattr(bp, "lambda_context", None))
    observe_webhook(status)
    if answer is None:
        return Response(body="", status_code=status)
    import json
    return Response(body=json.dumps(answer, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json"})


# --- finance ------------------------------------------------------------------------------
@route(bp, "/admin/orders/{order_id}/confirm-transfer", "POST",
       summary="财务确认银行转账（个人或集体）：按银行流水（line_id）或流水号与金额", roles=FINANCE,
       body=ConfirmTransferIn, response=ORDER_OUT, tags=("finance",), errors=(400, 404, 409))
def confirm_transfer(ctx: Ctx, order_id: str) -> dict[str, Any]:
    b: ConfirmTransferIn = ctx.body
    return payments.confirm_transfer(ctx.deps, order_id, b.line_id, b.bank_serial, b.amount_fen,
                                     ctx.user.sub, ctx.now)


@route(bp, "/admin/payment-notifications", summary="未能入账的支付通知（订单不存在、金额不符等）",
       roles=FINANCE, query=PageQuery, tags=("finance",),
       response={"type": "object", "required": ["notifications"],
                 "properties": {"notifications": {"type": "array", "items": {"type": "object"}}}})
def flagged_notifications(ctx: Ctx) -> dict[str, Any]:
    return payments.list_flagged(ctx.query.limit, ctx.query.next_token)


@route(bp, "/admin/orders/overdue-transfers", summary="已超过 5 个工作日审核期的银行转账订单",
       roles=FINANCE, query=PageQuery, response=ORDER_LIST_OUT, tags=("finance",))
def overdue_transfers(ctx: Ctx) -> dict[str, Any]:
    return payments.list_overdue_transfers(ctx.deps, ctx.now, ctx.query.limit, ctx.query.next_token)


# --- group remittances (unit accounts) -----------------------------------------------------
Member = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


class GroupOrderIn(_Body):
    members: list[Member] = Field(min_length=1, max_length=500)


class ReleaseIn(_Body):
    registration_id: Id


class UploadIn(_Body):
    kind: Literal["voucher", "member_list"]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    size_bytes: int = Field(gt=0, le=10 * 1024 * 1024)


@route(bp, "/unit/group-orders", "POST", summary="单位集体交费：按报名编号或邮箱列出本单位学员，生成集体订单",
       roles=("unit",), body=GroupOrderIn, response=ORDER_OUT, status=201, tags=("payments",),
       errors=(403, 409))
def create_group_order(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.billing import group_orders
    return group_orders.create_group_order(ctx.deps, ctx.user.sub, ctx.body.members, ctx.now)


@route(bp, "/unit/group-orders/{order_id}/release", "POST", summary="交费前从集体订单中移出一名学员",
       roles=("unit",), body=ReleaseIn, response=ORDER_OUT, tags=("payments",), errors=(404, 409))
def release_member(ctx: Ctx, order_id: str) -> dict[str, Any]:
    from chalicelib.billing import group_orders
    return group_orders.release_member(ctx.deps, ctx.user.sub, order_id, ctx.body.registration_id,
                                       ctx.now)


@route(bp, "/unit/group-orders/{order_id}/uploads", "POST",
       summary="上传汇款凭证或学员名单：返回限定类型与大小的 S3 预签名表单", roles=("unit",),
       body=UploadIn, tags=("payments",), errors=(400, 404, 409),
       response={"type": "object", "required": ["url", "fields", "key"],
                 "properties": {"url": {"type": "string"}, "fields": {"type": "object"},
                                "key": {"type": "string"}, "expires_at": {"type": "string"}}})
def presign_upload(ctx: Ctx, order_id: str) -> dict[str, Any]:
    from chalicelib.billing import group_orders
    b: UploadIn = ctx.body
    return group_orders.presign_upload(ctx.deps, ctx.user.sub, order_id, b.kind, b.content_type,
                                       b.size_bytes, ctx.now)


@route(bp, "/admin/orders/{order_id}/uploads", summary="财务查看集体订单的汇款凭证与学员名单（短时链接）",
       roles=FINANCE, tags=("finance",), errors=(404,),
       response={"type": "object", "required": ["order_id"],
                 "properties": {"voucher": {"type": ["object", "null"]},
                                "member_list": {"type": ["object", "null"]}}})
def upload_links(ctx: Ctx, order_id: str) -> dict[str, Any]:
    from chalicelib.billing import group_orders
    return group_orders.upload_links(ctx.deps, order_id, ctx.now)


# --- bank statements (finance) -------------------------------------------------------------
STATEMENT_OUT = {"type": "object", "required": ["matches", "ambiguous", "unmatched"],
                 "properties": {
                     "matches": {"type": "array", "items": {
                         "type": "object", "required": ["line_id", "order_id", "confidence"],
                         "properties": {"line_id": {"type": "string"}, "order_id": {"type": "string"},
                                        "confidence": {"type": "string"}}}},
                     "ambiguous": {"type": "array", "items": {"type": "object"}},
                     "unmatched": {"type": "array", "items": {"type": "object"}},
                     "already_credited": {"type": "array", "items": {"type": "object"}},
                     "imported": {"type": "integer"}, "known": {"type": "integer"}}}


@route(bp, "/admin/bank-statements", "POST",
       summary="上传银行流水（CSV 或 XLSX）：按金额与附言/户名给出匹配建议（确定、待定、未匹配）",
       roles=FINANCE, raw=True, response=STATEMENT_OUT, tags=("finance",),
       content_types=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      "application/octet-stream", "text/plain"), errors=(400, 413, 415))
def upload_statement(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.billing import reconciliation
    ctype = ctx.request.headers.get("content-type") or "text/csv"
    return reconciliation.import_statement(ctx.deps, ctx.request.raw_body or b"", ctype,
                                           ctx.user.sub, ctx.now)
