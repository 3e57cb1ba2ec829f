"""Accounts and the profile."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.identity import accounts
from chalicelib.identity.models import ConfirmIn, LoginIn, MeOut, ProfileOut, SignupIn, TokensOut
from chalicelib.platform.http import ANY_SIGNED_IN, Ctx, route
from chalicelib.platform.schemas import Ok

bp = Blueprint(__name__)


@route(bp, "/auth/signup", "POST", summary="注册个人或单位账号", body=SignupIn,
       response=ProfileOut, status=201, tags=("auth",), errors=(409,))
def signup(ctx: Ctx) -> ProfileOut:
    b: SignupIn = ctx.body
    return ProfileOut.model_validate(accounts.sign_up(
        ctx.deps, email=str(b.email), password=b.password, name=b.name, phone=b.phone,
        kind=b.kind, unit_name=b.unit_name, credit_code=b.credit_code, now=ctx.now))


@route(bp, "/auth/login", "POST", summary="登录，返回 id_token 等令牌", body=LoginIn,
       response=TokensOut, tags=("auth",), errors=(401,))
def login(ctx: Ctx) -> TokensOut:
    return TokensOut(**ctx.deps.identity.login(str(ctx.body.email).lower(), ctx.body.password))


@route(bp, "/auth/confirm", "POST", summary="用邮件验证码确认账号（生产环境）", body=ConfirmIn,
       response=Ok, tags=("auth",))
def confirm(ctx: Ctx) -> dict[str, Any]:
    ctx.deps.identity.confirm(str(ctx.body.email).lower(), ctx.body.code)
    return {"status": "confirmed"}


@route(bp, "/me", summary="个人资料、角色与本届会员状态", roles=ANY_SIGNED_IN,
       response=MeOut, tags=("auth",))
def me(ctx: Ctx) -> MeOut:
    return MeOut.model_validate(accounts.me(ctx.deps, ctx.user.sub, ctx.user.roles, ctx.now))
