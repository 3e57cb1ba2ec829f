"""Registration (trainee) and review (reviewer, admin)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.platform.http import Ctx, route
from chalicelib.registration import service
from chalicelib.registration.models import BulkApproveIn, BulkApproveOut, RegistrationIn, RegistrationListOut, RegistrationOut, RejectIn, ReviewQuery, UnitLinkIn

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
REVIEWERS = ("reviewer", "admin")


@route(bp, "/registrations", "POST", summary="提交本届报名（报名窗口内）", roles=TRAINEE,
       body=RegistrationIn, response=RegistrationOut, status=201, tags=("registration",),
       errors=(409,))
def create(ctx: Ctx) -> RegistrationOut:
    return RegistrationOut(**service.create_registration(ctx.deps, ctx.user.sub,
                                                         ctx.body.model_dump(), ctx.now))


@route(bp, "/registrations/mine", summary="我的报名", roles=TRAINEE,
       response=RegistrationListOut, tags=("registration",))
def mine(ctx: Ctx) -> RegistrationListOut:
    return RegistrationListOut(**service.list_mine(ctx.user.sub))


@route(bp, "/registrations/{registration_id}/withdraw", "POST", summary="撤回未交费的报名",
       roles=TRAINEE, response=RegistrationOut, tags=("registration",), errors=(404, 409))
def withdraw(ctx: Ctx, registration_id: str) -> RegistrationOut:
    return RegistrationOut(**service.withdraw(ctx.deps, registration_id, ctx.user.sub, ctx.now))


@route(bp, "/registrations/{registration_id}/unit-link", "POST",
       summary="把本人报名关联到已认证的单位账号（学员本人选择或接受邀请；单位名称须一致）",
       roles=TRAINEE, body=UnitLinkIn, response=RegistrationOut, tags=("registration",),
       errors=(404, 409))
def link_unit(ctx: Ctx, registration_id: str) -> RegistrationOut:
    return RegistrationOut(**service.link_unit(ctx.deps, ctx.user.sub, registration_id,
                                               ctx.body.unit_id, ctx.now))


@route(bp, "/registrations/{registration_id}/unit-link/remove", "POST",
       summary="取消与单位账号的关联（先退出未支付的集体订单；单位已交费的不能取消）",
       roles=TRAINEE, response=RegistrationOut, tags=("registration",), errors=(404, 409))
def unlink_unit(ctx: Ctx, registration_id: str) -> RegistrationOut:
    return RegistrationOut(**service.unlink_unit(ctx.deps, ctx.user.sub, registration_id,
                                                 ctx.now))


@route(bp, "/admin/registrations", summary="按状态列出报名（最早的在前，分页）", roles=REVIEWERS,
       query=ReviewQuery, response=RegistrationListOut, tags=("review",), errors=(404,))
def review_queue(ctx: Ctx) -> RegistrationListOut:
    q: ReviewQuery = ctx.query
    return RegistrationListOut(**service.list_for_review(ctx.deps, q.status, q.limit,
                                                         q.next_token, q.edition_id))


@route(bp, "/admin/registrations/{registration_id}/approve", "POST", summary="审核通过",
       roles=REVIEWERS, response=RegistrationOut, tags=("review",), errors=(404, 409))
def approve(ctx: Ctx, registration_id: str) -> RegistrationOut:
    return RegistrationOut(**service.approve(ctx.deps, registration_id, ctx.user.sub, ctx.now))


@route(bp, "/admin/registrations/{registration_id}/reject", "POST", summary="驳回（须填写原因）",
       roles=REVIEWERS, body=RejectIn, response=RegistrationOut, tags=("review",),
       errors=(404, 409))
def reject(ctx: Ctx, registration_id: str) -> RegistrationOut:
    return RegistrationOut(**service.reject(ctx.deps, registration_id, ctx.body.reason,
                                            ctx.user.sub, ctx.now))


@route(bp, "/admin/registrations/bulk-approve", "POST", summary="批量审核通过",
       roles=REVIEWERS, body=BulkApproveIn, response=BulkApproveOut, tags=("review",))
def bulk_approve(ctx: Ctx) -> BulkApproveOut:
    return BulkApproveOut(**service.bulk_approve(ctx.deps, ctx.body.registration_ids,
                                                 ctx.user.sub, ctx.now))
