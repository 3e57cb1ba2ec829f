"""Unit verification (unit, admin, finance), unit invitations and the verified units a
trainee may link a registration to (see identity/units.py)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.identity import accounts, units
from chalicelib.identity.unit_models import InvitationsOut, InviteIn, InviteOut, LetterUploadIn, LetterUploadOut, StaffUnitOut, UnitListOut, UnitOut, UnitQuery, UnitRejectIn, VerifiedUnitsOut, VerifiedUnitsQuery
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.paging import page_out

bp = Blueprint(__name__)
UNIT = ("unit",)
TRAINEE = ("trainee",)
VERIFIERS = ("admin", "finance")


@route(bp, "/unit/account", summary="单位账号的认证状态及说明（待审核、已认证、未通过及原因）",
       roles=UNIT, response=UnitOut, tags=("units",), errors=(403,))
def my_unit(ctx: Ctx) -> UnitOut:
    return UnitOut.model_validate(units.my_unit(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/unit/account/letter", "POST",
       summary="上传单位介绍信或授权书（PDF 或图片）：返回限定类型与大小的 S3 预签名表单",
       roles=UNIT, body=LetterUploadIn, response=LetterUploadOut, tags=("units",),
       errors=(400, 403, 409))
def presign_letter(ctx: Ctx) -> LetterUploadOut:
    b: LetterUploadIn = ctx.body
    return LetterUploadOut.model_validate(units.presign_letter(
        ctx.deps, ctx.user.sub, b.content_type, b.size_bytes, ctx.now))


@route(bp, "/unit/invitations", "POST",
       summary="已认证单位邀请学员关联报名（按邮箱；答复不透露该邮箱是否注册）", roles=UNIT,
       body=InviteIn, response=InviteOut, status=202, tags=("units",), errors=(400, 403))
def invite(ctx: Ctx) -> InviteOut:
    return InviteOut.model_validate(units.invite(
        ctx.deps, ctx.user.sub, [str(e) for e in ctx.body.emails], ctx.now))


@route(bp, "/admin/units", summary="单位账号审核列表（按状态，最早提交的在前，附授权书短时链接）",
       roles=VERIFIERS, query=UnitQuery, response=UnitListOut, tags=("units",))
def staff_list(ctx: Ctx) -> UnitListOut:
    q: UnitQuery = ctx.query
    return UnitListOut.model_validate(units.list_for_staff(
        ctx.deps, q.status, q.limit, q.next_token, ctx.now))


@route(bp, "/admin/units/{unit_id}/approve", "POST",
       summary="核对统一社会信用代码与授权书后通过单位账号", roles=VERIFIERS,
       response=StaffUnitOut, tags=("units",), errors=(404, 409))
def approve(ctx: Ctx, unit_id: str) -> StaffUnitOut:
    return StaffUnitOut.model_validate(units.approve(ctx.deps, unit_id, ctx.user.sub, ctx.now))


@route(bp, "/admin/units/{unit_id}/reject", "POST", summary="驳回单位账号（须填写原因）",
       roles=VERIFIERS, body=UnitRejectIn, response=StaffUnitOut, tags=("units",),
       errors=(404, 409))
def reject(ctx: Ctx, unit_id: str) -> StaffUnitOut:
    return StaffUnitOut.model_validate(units.reject(ctx.deps, unit_id, ctx.body.reason,
                                                    ctx.user.sub, ctx.now))


@route(bp, "/units/verified", summary="按单位名称查找已认证的单位账号（报名时可选择关联）",
       roles=TRAINEE, query=VerifiedUnitsQuery, response=VerifiedUnitsOut, tags=("units",))
def verified(ctx: Ctx) -> VerifiedUnitsOut:
    return VerifiedUnitsOut.model_validate(units.verified_units_named(ctx.query.unit_name))


@route(bp, "/me/unit-invitations", summary="单位发给我的关联邀请（接受：关联报名）",
       roles=TRAINEE, response=InvitationsOut, tags=("units",))
def my_invitations(ctx: Ctx) -> InvitationsOut:
    account = accounts.get_account(ctx.user.sub)
    return InvitationsOut.model_validate(page_out("invitations",
                                                  units.invitations_for(account.email), None))
