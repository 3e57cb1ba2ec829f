"""Routes of billing: orders, provider webhooks, bank transfers (finance), bank statement
reconciliation, group remittances (units). Each parses into a request model, calls one
service function and answers through a response model (models.py)."""
from __future__ import annotations

import json

from chalice import Blueprint, Response

from chalicelib.billing import group_orders, notifications, orders, payments, reconciliation
from chalicelib.billing.models import ConfirmTransferIn, GroupOrderIn, LeftGroupOut, NotificationListOut, OrderDetailOut, OrderIn, OrderListOut, OrderOut, PageQuery, PresignedPostOut, ReleaseIn, StatementOut, TransferClaimIn, TransferConfirmedOut, UploadIn, UploadLinksOut
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.observability import count

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
OWNERS = ("trainee", "unit")
FINANCE = ("finance", "admin")


@route(bp, "/orders", "POST", summary="为已通过审核的报名下单（金额取报名锁定的费用）", roles=TRAINEE,
       body=OrderIn, response=OrderOut, status=201, tags=("payments",), errors=(400, 404, 409, 503))
def create_order(ctx: Ctx) -> OrderOut:
    b: OrderIn = ctx.body
    identity = (ctx.request.context or {}).get("identity") or {}
    return OrderOut.model_validate(orders.create_order(
        ctx.deps, ctx.user.sub, b.registration_id, b.channel, b.official_card, ctx.now,
        device=b.device, client_ip=str(identity.get("sourceIp") or ""), wechat_code=b.wechat_code))


@route(bp, "/orders/{order_id}/transfer-claim", "POST",
       summary="我已汇款：学员登记银行转账的汇款日期与金额（供财务核对；不代替财务确认）",
       roles=TRAINEE, body=TransferClaimIn, response=OrderOut, tags=("payments",), errors=(400, 404, 409))
def claim_transfer(ctx: Ctx, order_id: str) -> OrderOut:
    b: TransferClaimIn = ctx.body
    return OrderOut.model_validate(orders.claim_transfer(
        ctx.deps, order_id, ctx.user.sub, b.paid_on, b.amount_fen, ctx.now))


@route(bp, "/admin/transfer-claims", summary="学员已登记“我已汇款”、待财务核对的银行转账订单",
       roles=FINANCE, response=OrderListOut, tags=("finance",))
def transfer_claims(ctx: Ctx) -> OrderListOut:
    return OrderListOut.model_validate(orders.list_transfer_claims(ctx.deps))


@route(bp, "/orders/mine", summary="我的订单（学员含持有其报名的集体订单）", roles=OWNERS,
       response=OrderListOut, tags=("payments",))
def my_orders(ctx: Ctx) -> OrderListOut:
    return OrderListOut.model_validate(orders.list_mine(ctx.deps, ctx.user.sub))


@route(bp, "/orders/{order_id}", summary="订单详情（含款项与退款）", roles=OWNERS + FINANCE,
       response=OrderDetailOut, tags=("payments",), errors=(404,))
def get_order(ctx: Ctx, order_id: str) -> OrderDetailOut:
    staff = ctx.user.has(*FINANCE)
    return OrderDetailOut.model_validate(
        orders.show_order(ctx.deps, order_id, None if staff else ctx.user.sub))


# GET /orders/{order_id}/receipt (the 交费凭证 PDF) lives in chalicelib/invoicing/routes.py.


@route(bp, "/orders/{order_id}/cancel", "POST", summary="取消未支付的订单", roles=OWNERS,
       response=OrderOut, tags=("payments",), errors=(404, 409))
def cancel_order(ctx: Ctx, order_id: str) -> OrderOut:
    return OrderOut.model_validate(orders.cancel_order(ctx.deps, order_id, ctx.user.sub, ctx.now))


@route(bp, "/orders/{order_id}/leave", "POST",
       summary="学员退出持有本人报名的未支付集体订单（订单金额相应减少，之后可个人交费）",
       roles=TRAINEE, response=LeftGroupOut, tags=("payments",), errors=(404, 409))
def leave_group(ctx: Ctx, order_id: str) -> LeftGroupOut:
    return LeftGroupOut.model_validate(group_orders.leave_group(
        ctx.deps, ctx.user.sub, order_id, ctx.now))


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
    return Response(body=json.dumps(answer, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": "application/json"})


# --- finance ------------------------------------------------------------------------------
@route(bp, "/admin/orders/{order_id}/confirm-transfer", "POST",
       summary="财务确认银行转账（个人或集体）：按银行流水（line_id）或流水号与金额", roles=FINANCE,
       body=ConfirmTransferIn, response=TransferConfirmedOut, tags=("finance",),
       errors=(400, 404, 409))
def confirm_transfer(ctx: Ctx, order_id: str) -> TransferConfirmedOut:
    b: ConfirmTransferIn = ctx.body
    return TransferConfirmedOut.model_validate(payments.confirm_transfer(
        ctx.deps, order_id, b.line_id, b.bank_serial, b.amount_fen, ctx.user.sub, ctx.now))


@route(bp, "/admin/payment-notifications", summary="未能入账的支付通知（订单不存在、金额不符等）",
       roles=FINANCE, query=PageQuery, response=NotificationListOut, tags=("finance",))
def flagged_notifications(ctx: Ctx) -> NotificationListOut:
    return NotificationListOut.model_validate(
        notifications.list_flagged(ctx.deps, ctx.query.limit, ctx.query.next_token))


@route(bp, "/admin/orders/overdue-transfers", summary="已超过 5 个工作日审核期的银行转账订单",
       roles=FINANCE, query=PageQuery, response=OrderListOut, tags=("finance",))
def overdue_transfers(ctx: Ctx) -> OrderListOut:
    return OrderListOut.model_validate(payments.list_overdue_transfers(
        ctx.deps, ctx.now, ctx.query.limit, ctx.query.next_token))


# --- group remittances (unit accounts) -----------------------------------------------------
@route(bp, "/unit/group-orders", "POST", summary="单位集体交费：按报名编号或邮箱列出本单位学员，生成集体订单",
       roles=("unit",), body=GroupOrderIn, response=OrderOut, status=201, tags=("payments",),
       errors=(403, 409))  # 403 UNIT_NOT_VERIFIED; 409 GROUP_MEMBERS_INVALID (NOT_LINKED: uniform)
def create_group_order(ctx: Ctx) -> OrderOut:
    return OrderOut.model_validate(group_orders.create_group_order(
        ctx.deps, ctx.user.sub, ctx.body.members, ctx.now))


@route(bp, "/unit/group-orders/{order_id}/release", "POST", summary="交费前从集体订单中移出一名学员",
       roles=("unit",), body=ReleaseIn, response=OrderOut, tags=("payments",), errors=(404, 409))
def release_member(ctx: Ctx, order_id: str) -> OrderOut:
    return OrderOut.model_validate(group_orders.release_member(
        ctx.deps, ctx.user.sub, order_id, ctx.body.registration_id, ctx.now))


@route(bp, "/unit/group-orders/{order_id}/uploads", "POST",
       summary="上传汇款凭证或学员名单：返回限定类型与大小的 S3 预签名表单", roles=("unit",),
       body=UploadIn, response=PresignedPostOut, tags=("payments",), errors=(400, 404, 409))
def presign_upload(ctx: Ctx, order_id: str) -> PresignedPostOut:
    b: UploadIn = ctx.body
    return PresignedPostOut.model_validate(group_orders.presign_upload(
        ctx.deps, ctx.user.sub, order_id, b.kind, b.content_type, b.size_bytes, ctx.now))


@route(bp, "/admin/orders/{order_id}/uploads", summary="财务查看集体订单的汇款凭证与学员名单（短时链接）",
       roles=FINANCE, response=UploadLinksOut, tags=("finance",), errors=(404,))
def upload_links(ctx: Ctx, order_id: str) -> UploadLinksOut:
    return UploadLinksOut.model_validate(group_orders.upload_links(ctx.deps, order_id, ctx.now))


# --- bank statements (finance) -------------------------------------------------------------
@route(bp, "/admin/bank-statements", "POST",
       summary="上传银行流水（CSV 或 XLSX）：按金额与附言/户名给出匹配建议（确定、待定、未匹配）",
       roles=FINANCE, raw=True, response=StatementOut, tags=("finance",),
       content_types=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      "application/octet-stream", "text/plain"), errors=(400, 413, 415))
def upload_statement(ctx: Ctx) -> StatementOut:
    ctype = ctx.request.headers.get("content-type") or "text/csv"
    return StatementOut.model_validate(reconciliation.import_statement(
        ctx.deps, ctx.request.raw_body or b"", ctype, ctx.user.sub, ctx.now))
