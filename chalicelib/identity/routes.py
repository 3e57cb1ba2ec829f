"""Accounts and the profile: sign-up, sign-in, e-mail confirmation, phone verification,
password reset, token refresh; an administrator disables an account."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.identity import accounts, mfa, sms_login, units, verification
from chalicelib.identity.models import ConfirmIn, DisabledOut, ForgotIn, ForgotOut, LoginIn, MeOut, PhoneCodeOut, PhoneVerifyIn, ProfileOut, RefreshIn, ResetIn, SignupIn, SmsLoginCodeIn, SmsLoginCodeOut, SmsLoginIn, TokensOut
from chalicelib.platform.http import ANY_SIGNED_IN, Ctx, route
from chalicelib.platform.schemas import Ok

bp = Blueprint(__name__)
THROTTLED = 429


@route(bp, "/auth/signup", "POST", summary="注册个人或单位账号（已注册的邮箱得到相同答复，邮件告知本人）",
       body=SignupIn, response=ProfileOut, status=201, tags=("auth",), errors=(THROTTLED,))
def signup(ctx: Ctx) -> ProfileOut:
    b: SignupIn = ctx.body
    return ProfileOut.model_validate(accounts.sign_up_request(
        ctx.deps, ip=ctx.client_ip, now=ctx.now, email=str(b.email), password=b.password,
        name=b.name, phone=b.phone, kind=b.kind, unit_name=b.unit_name,
        credit_code=b.credit_code))


@route(bp, "/auth/login", "POST", summary="登录，返回 id_token 等令牌", body=LoginIn,
       response=TokensOut, tags=("auth",), errors=(401, THROTTLED))
def login(ctx: Ctx) -> TokensOut:
    tokens = accounts.login(ctx.deps, str(ctx.body.email), ctx.body.password, ctx.client_ip,
                            ctx.now)
    # staff: 401 MFA_REQUIRED / MFA_ENROLMENT_REQUIRED / MFA_INVALID without a fresh code
    return TokensOut(**mfa.second_factor(ctx.deps, tokens, ctx.body.totp, ctx.now))


@route(bp, "/auth/login/sms/code", "POST",
       summary="短信验证码登录：向已验证的手机发送验证码（未验证或不存在的号码得到相同答复）",
       body=SmsLoginCodeIn, response=SmsLoginCodeOut, tags=("auth",), errors=(THROTTLED,))
def sms_login_code(ctx: Ctx) -> SmsLoginCodeOut:
    return SmsLoginCodeOut(**sms_login.send_login_code(ctx.deps, ctx.body.phone, ctx.client_ip,
                                                       ctx.now))


@route(bp, "/auth/login/sms", "POST",
       summary="短信验证码登录，返回与 /auth/login 相同的令牌（工作人员账号不可用）",
       body=SmsLoginIn, response=TokensOut, tags=("auth",), errors=(401, 403, 409, THROTTLED))
def sms_login_with_code(ctx: Ctx) -> TokensOut:
    return TokensOut(**sms_login.login_with_code(ctx.deps, ctx.body.phone, ctx.body.code,
                                                 ctx.client_ip, ctx.now))


@route(bp, "/auth/refresh", "POST", summary="用 refresh_token 换取新的 id_token（账号退出或注销后失效）",
       body=RefreshIn, response=TokensOut, tags=("auth",), errors=(401,))
def refresh(ctx: Ctx) -> TokensOut:
    return TokensOut(**ctx.deps.identity.refresh(ctx.body.refresh_token))


@route(bp, "/auth/confirm", "POST", summary="用邮件验证码确认账号与邮箱（生产环境）", body=ConfirmIn,
       response=Ok, tags=("auth",), errors=(THROTTLED,))
def confirm(ctx: Ctx) -> dict[str, Any]:
    accounts.confirm(ctx.deps, str(ctx.body.email), ctx.body.code, ctx.client_ip, ctx.now)
    return {"status": "confirmed"}


@route(bp, "/auth/password/forgot", "POST", summary="忘记密码：把验证码发到邮箱或已验证的手机",
       body=ForgotIn, response=ForgotOut, status=202, tags=("auth",), errors=(THROTTLED,))
def forgot_password(ctx: Ctx) -> ForgotOut:
    return ForgotOut(**verification.forgot_password(ctx.deps, ctx.body.email, ctx.body.channel,
                                                    ctx.client_ip, ctx.now))


@route(bp, "/auth/password/reset", "POST", summary="用验证码设置新密码（所有已登录的设备随之退出）",
       body=ResetIn, response=Ok, tags=("auth",), errors=(THROTTLED,))
def reset_password(ctx: Ctx) -> dict[str, Any]:
    b: ResetIn = ctx.body
    return verification.reset_password(ctx.deps, b.email, b.code, b.password, ctx.client_ip,
                                       ctx.now)


@route(bp, "/me", summary="个人资料、角色与本届会员状态（单位账号另附认证状态）", roles=ANY_SIGNED_IN,
       response=MeOut, tags=("auth",))
def me(ctx: Ctx) -> MeOut:
    return _me_out(accounts.me(ctx.deps, ctx.user.sub, ctx.user.roles, ctx.now))


def _me_out(view: dict[str, Any]) -> MeOut:
    """/me's answer: the profile and, for a unit account, its verification status."""
    return MeOut.model_validate({**view, "unit": units.status_for_me(view["user_id"], view["kind"])})


@route(bp, "/me/phone/code", "POST", summary="向账号的手机发送短信验证码", roles=ANY_SIGNED_IN,
       response=PhoneCodeOut, tags=("auth",), errors=(409, THROTTLED))
def send_phone_code(ctx: Ctx) -> PhoneCodeOut:
    return PhoneCodeOut(**verification.send_phone_code(ctx.deps, ctx.user.sub, ctx.client_ip,
                                                       ctx.now))


@route(bp, "/me/phone/verify", "POST", summary="用短信验证码验证手机号", roles=ANY_SIGNED_IN,
       body=PhoneVerifyIn, response=MeOut, tags=("auth",), errors=(THROTTLED,))
def verify_phone(ctx: Ctx) -> MeOut:
    return _me_out(verification.verify_phone(
        ctx.deps, ctx.user.sub, ctx.user.roles, ctx.body.code, ctx.client_ip, ctx.now))


@route(bp, "/admin/accounts/{user_id}/disable", "POST", summary="停用账号：不能再登录，所有会话立即结束",
       roles=("admin",), response=DisabledOut, tags=("auth",), errors=(404,))
def disable(ctx: Ctx, user_id: str) -> DisabledOut:
    return DisabledOut(**accounts.disable(ctx.deps, user_id, ctx.user.sub, ctx.now))
