"""Personal data on request: the trainee's own export and erasure, and the same for an
administrator acting on a request received by mail or in person."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice import Blueprint
from pydantic import StringConstraints

from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Body, SparseOut
from chalicelib.privacy import service as privacy

bp = Blueprint(__name__)
OWNERS = ("trainee", "unit")
ADMIN = ("admin",)
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                          pattern=r"^[A-Za-z0-9-]+$")]

EXPORT_OUT = {"type": "object",
              "required": ["exported_at", "account", "registrations", "orders", "invoices"],
              "properties": {"exported_at": {"type": "string"}, "account": {"type": "object"},
                             "registrations": {"type": "array"}, "orders": {"type": "array"},
                             "invoices": {"type": "array"}, "learning": {"type": "array"},
                             "mail": {"type": "array"}, "history": {"type": "array"},
                             "refunds": {"type": "array"},
                             "questionnaire": {"type": "array"},
                             "certificates": {"type": "array"},
                             "membership": {"type": ["object", "null"]},
                             "unit": {"type": ["object", "null"]},
                             "unit_invitations": {"type": "object"},
                             "staff_mfa": {"type": ["object", "null"]},
                             "codes": {"type": "array"}, "attempt_counters": {"type": "string"}}}


class ErasedOut(SparseOut):
    """What an erasure did (`already`: a racing request had done it; counts otherwise)."""
    user_id: str
    erased: bool
    already: bool | None = None
    registrations: int | None = None
    mail: int | None = None
    refunds: int | None = None  # refunds that would have mailed the person
    invitations: int | None = None  # to the person, or sent by their unit
    letters: int | None = None  # the unit's authorization letters deleted from storage
    codes: int | None = None  # one-time codes that were waiting
    staff_mfa: int | None = None  # 1: a staff TOTP secret forgotten


class ErasureIn(Body):
    confirm: Literal["注销"]  # typed by the person: erasure cannot be undone


@route(bp, "/me/personal-data", summary="导出本人的全部个人信息（JSON）", roles=OWNERS,
       response=EXPORT_OUT, tags=("privacy",), errors=(404,))
def my_data(ctx: Ctx) -> dict[str, Any]:
    return privacy.export(ctx.deps, ctx.user.sub, ctx.now)


@route(bp, "/me/erasure", "POST", summary="注销账号并删除个人信息（财务须保留的订单、发票等除外）",
       roles=OWNERS, body=ErasureIn, response=ErasedOut, tags=("privacy",), errors=(404, 409))
def erase_me(ctx: Ctx) -> ErasedOut:
    return ErasedOut.model_validate(privacy.erase(ctx.deps, ctx.user.sub, ctx.user.sub, ctx.now))


@route(bp, "/admin/people/{user_id}/personal-data", summary="按本人申请导出其个人信息",
       roles=ADMIN, response=EXPORT_OUT, tags=("privacy",), errors=(404,))
def person_data(ctx: Ctx, user_id: str) -> dict[str, Any]:
    return privacy.export(ctx.deps, user_id, ctx.now)


@route(bp, "/admin/people/{user_id}/erasure", "POST", summary="按本人申请删除其个人信息",
       roles=ADMIN, body=ErasureIn, response=ErasedOut, tags=("privacy",), errors=(404, 409))
def erase_person(ctx: Ctx, user_id: str) -> ErasedOut:
    return ErasedOut.model_validate(privacy.erase(ctx.deps, user_id, ctx.user.sub, ctx.now))
