"""Health, the edition, accounts and the profile."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.http import ANY_SIGNED_IN, Ctx, route
from chalicelib.platform.schemas import ConfirmIn, LoginIn, Ok, SignupIn, TokensOut
from chalicelib.identity import accounts
from chalicelib.editions import service as editions

bp = Blueprint(__name__)

EDITION_OUT = {"type": "object", "required": ["edition_id", "windows", "fees", "courses"],
               "properties": {"edition_id": {"type": "string"}, "title": {"type": "string"},
                              "windows": {"type": "object"}, "fees": {"type": "object"},
                              "courses": {"type": "array", "items": {"type": "object"}},
                              "bank_account": {"type": "object"},
                              "contacts": {"type": "array"}}}
PROFILE_OUT = {"type": "object", "required": ["user_id", "email", "kind"],
               "properties": {"user_id": {"type": "string"}, "email": {"type": "string"},
                              "name": {"type": "string"}, "kind": {"type": "string"},
                              "roles": {"type": "array", "items": {"type": "string"}},
                              "membership": {"type": ["object", "null"]}}}


@route(bp, "/health", summary="存储可达时返回 ok", response=Ok, tags=("core",))
def health(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.platform.store.kv import get_value
    get_value("health")  # one read: storage is reachable
    return {"status": "ok"}


@route(bp, "/editions/current", summary="当前届次：日历、费用、课程、汇款账户、联系方式",
       response=EDITION_OUT, tags=("core",))
def current_edition(ctx: Ctx) -> dict[str, Any]:
    return editions.get_current(ctx.deps).public_view(ctx.now)


@route(bp, "/auth/signup", "POST", summary="注册个人或单位账号", body=SignupIn,
       response=PROFILE_OUT, status=201, tags=("auth",), errors=(409,))
def signup(ctx: Ctx) -> dict[str, Any]:
    b: SignupIn = ctx.body
    return accounts.sign_up(ctx.deps, email=str(b.email), password=b.password, name=b.name,
                            phone=b.phone, kind=b.kind, unit_name=b.unit_name,
                            credit_code=b.credit_code, now=ctx.now)


@route(bp, "/auth/login", "POST", summary="登录，返回 id_token 等令牌", body=LoginIn,
       response=TokensOut, tags=("auth",), errors=(401,))
def login(ctx: Ctx) -> dict[str, Any]:
    return ctx.deps.identity.login(str(ctx.body.email).lower(), ctx.body.password)  # type: ignore[no-any-return]


@route(bp, "/auth/confirm", "POST", summary="用邮件验证码确认账号（生产环境）", body=ConfirmIn,
       response=Ok, tags=("auth",))
def confirm(ctx: Ctx) -> dict[str, Any]:
    ctx.deps.identity.confirm(str(ctx.body.email).lower(), ctx.body.code)
    return {"status": "confirmed"}


@route(bp, "/me", summary="个人资料、角色与本届会员状态", roles=ANY_SIGNED_IN,
       response=PROFILE_OUT, tags=("auth",))
def me(ctx: Ctx) -> dict[str, Any]:
    return accounts.me(ctx.deps, ctx.user.sub, ctx.user.roles, ctx.now)
