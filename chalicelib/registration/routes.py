"""Registration (trainee) and review (reviewer, admin)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import REGISTRATION_LIST_OUT, REGISTRATION_OUT, BulkApproveIn, RegistrationIn, RejectIn, ReviewQuery
from chalicelib.registration import service as registrations

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
REVIEWERS = ("reviewer", "admin")


@route(bp, "/registrations", "POST", summary="提交本届报名（报名窗口内）", roles=TRAINEE,
       body=RegistrationIn, response=REGISTRATION_OUT, status=201, tags=("registration",),
       errors=(409,))
def create(ctx: Ctx) -> dict[str, Any]:
    return registrations.create_registration(ctx.deps, ctx.user.sub, ctx.body.model_dump(),
                                             ctx.now)


@route(bp, "/registrations/mine", summary="我的报名", roles=TRAINEE,
       response=REGISTRATION_LIST_OUT, tags=("registration",))
def mine(ctx: Ctx) -> dict[str, Any]:
    return registrations.list_mine(ctx.user.sub)


@route(bp, "/registrations/{registration_id}/withdraw", "POST", summary="撤回未交费的报名",
       roles=TRAINEE, response=REGISTRATION_OUT, tags=("registration",), errors=(404, 409))
def withdraw(ctx: Ctx, registration_id: str) -> dict[str, Any]:
    return registrations.withdraw(ctx.deps, registration_id, ctx.user.sub, ctx.now)


@route(bp, "/admin/registrations", summary="按状态列出报名（最早的在前，分页）", roles=REVIEWERS,
       query=ReviewQuery, response=REGISTRATION_LIST_OUT, tags=("review",), errors=(404,))
def review_queue(ctx: Ctx) -> dict[str, Any]:
    q: ReviewQuery = ctx.query
    return registrations.list_for_review(ctx.deps, q.status, q.limit, q.next_token, q.edition_id)


@route(bp, "/admin/registrations/{registration_id}/approve", "POST", summary="审核通过",
       roles=REVIEWERS, response=REGISTRATION_OUT, tags=("review",), errors=(404, 409))
def approve(ctx: Ctx, registration_id: str) -> dict[str, Any]:
    return registrations.approve(ctx.deps, registration_id, ctx.user.sub, ctx.now)


@route(bp, "/admin/registrations/{registration_id}/reject", "POST", summary="驳回（须填写原因）",
       roles=REVIEWERS, body=RejectIn, response=REGISTRATION_OUT, tags=("review",),
       errors=(404, 409))
def reject(ctx: Ctx, registration_id: str) -> dict[str, Any]:
    return registrations.reject(ctx.deps, registration_id, ctx.body.reason, ctx.user.sub, ctx.now)


@route(bp, "/admin/registrations/bulk-approve", "POST", summary="批量审核通过",
       roles=REVIEWERS, body=BulkApproveIn, tags=("review",),
       response={"type": "object", "required": ["results", "approved"],
                 "properties": {"results": {"type": "array"}, "approved": {"type": "integer"}}})
def bulk_approve(ctx: Ctx) -> dict[str, Any]:
    return registrations.bulk_approve(ctx.deps, ctx.body.registration_ids, ctx.user.sub, ctx.now)
