"""Staff MFA administration: an admin resets a staff account's TOTP (see identity/mfa.py)."""
from __future__ import annotations

from typing import Literal

from chalice import Blueprint

from chalicelib.identity import mfa
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Out

bp = Blueprint(__name__)


class MfaResetOut(Out):
    user_id: str
    status: Literal["reset", "not_enrolled"]


@route(bp, "/admin/staff/{user_id}/mfa/reset", "POST",
       summary="重置管理人员的动态口令（手机丢失或更换）：其下次登录时重新绑定身份验证器",
       roles=("admin",), response=MfaResetOut, tags=("auth",))
def reset(ctx: Ctx, user_id: str) -> MfaResetOut:
    return MfaResetOut.model_validate(mfa.reset(user_id, ctx.user.sub, ctx.now))
