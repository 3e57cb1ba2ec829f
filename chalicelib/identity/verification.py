"""Verifying the account's phone by an SMS code, and resetting a forgotten password by a
code sent to the verified phone or the e-mail. Codes: identity/codes.py; limits:
identity/throttling.py; the sender: identity/sms.py (chosen by the stage)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.identity import accounts, codes, sms, throttling as limits
from chalicelib.identity.errors import CodeInvalidError, PhoneMissingError
from chalicelib.identity.queries import phone_verified
from chalicelib.platform import sessions
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError, ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.store import throttle
from chalicelib.platform.text import normalise_email

mail.register_template(
    "account.reset_code", "在职培训平台：重设密码验证码",
    "您好：\n\n您正在重设在职培训平台的登录密码，验证码为 {code}，{minutes} 分钟内有效，只能使用一次。\n"
    "如非本人操作，请忽略本邮件，您的密码不会改变。")

WEAK_PASSWORD = "密码不符合要求：至少 8 位，含大小写字母、数字和符号"


def strong_password(password: str) -> bool:
    """The pool's password policy (infra/stacks/identity.py): 8+ characters with a lower-
    and an upper-case letter, a digit and a symbol."""
    return (len(password) >= 8 and any(c.islower() for c in password)
            and any(c.isupper() for c in password) and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password))


MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
SENT_MESSAGE = "若该邮箱已注册，重设密码的验证码已发送（已验证手机的账号可选择短信）"


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def limit_sending(deps: Deps, target: str, ip: str, now: datetime) -> None:
    """Codes sent: per address, and per phone or e-mail (a gap and an hourly budget)."""
    throttle.hit(limits.address_limit(deps, limits.CODE_PER_IP), ip, now)
    throttle.hit(limits.CODE_GAP_PER_TARGET, target, now)
    throttle.hit(limits.CODE_PER_TARGET, target, now)


def send_phone_code(deps: Deps, user_sub: str, ip: str, now: datetime) -> dict[str, Any]:
    """An SMS code to the account's own phone (limited per phone and per address)."""
    account = accounts.get_account(user_sub, consistent_read=True)
    if not account.phone_norm:
        raise PhoneMissingError()
    if not MAINLAND_MOBILE.fullmatch(account.phone_norm):
        raise ValidationError("只能向中国大陆手机号（11 位，1 开头）发送短信验证码", field="phone",
                              code="PHONE_NOT_MOBILE")
    if phone_verified(account):
        raise ConflictError("手机号已验证", code="PHONE_ALREADY_VERIFIED")
    limit_sending(deps, f"phone:{account.phone_norm}", ip, now)
    code = codes.issue("phone", user_sub, account.phone_norm, now)
    sms.sender(deps).send_code(account.phone_norm, code, "phone")
    return {"status": "sent", "phone": mask_phone(account.phone_norm),
            "expires_in": codes.CODE_TTL_S, "resend_after": limits.CODE_GAP_PER_TARGET.window_s}


def verify_phone(deps: Deps, user_sub: str, roles: list[str], code: str, ip: str,
                 now: datetime) -> dict[str, Any]:
    """The code from the SMS: the account's phone is verified (its membership may change)."""
    throttle.hit(limits.address_limit(deps, limits.VERIFY_PER_IP), ip, now)
    throttle.hit(limits.VERIFY_PER_ACCOUNT, user_sub, now)
    account = accounts.get_account(user_sub, consistent_read=True)
    target = codes.redeem("phone", user_sub, code, now)
    if target != account.phone_norm or not accounts.repo.mark_phone_verified(account, target, now):
        raise CodeInvalidError()  # the phone changed since the code was sent
    return accounts.me(deps, user_sub, roles, now)


def forgot_password(deps: Deps, email: str, channel: str, ip: str, now: datetime) -> dict[str, Any]:
    """A reset code to the e-mail, or by SMS to the account's verified phone. The answer is
    the same whether or not the e-mail has an account."""
    email = normalise_email(email)
    limit_sending(deps, f"reset:{email}", ip, now)
    account = accounts.find_by_email(email)
    answer = {"status": "sent", "message": SENT_MESSAGE, "expires_in": codes.CODE_TTL_S}
    if account is None or account.disabled_at is not None:
        return answer
    if channel == "sms" and phone_verified(account):
        code = codes.issue("reset", account.user_sub, email, now)
        sms.sender(deps).send_code(str(account.phone_norm), code, "reset")
    else:
        code = codes.issue("reset", account.user_sub, email, now)
        mail.queue_mail(deps, f"reset#{account.user_sub}#{now.isoformat()}", email,
                        "account.reset_code", {"code": code, "minutes": codes.CODE_TTL_S // 60},
                        now)
    return answer


def reset_password(deps: Deps, email: str, code: str, password: str, ip: str,
                   now: datetime) -> dict[str, Any]:
    """Set a new password with a reset code; every session of the account ends."""
    email = normalise_email(email)
    throttle.hit(limits.address_limit(deps, limits.VERIFY_PER_IP), ip, now)
    throttle.hit(limits.VERIFY_PER_ACCOUNT, f"reset:{email}", now)
    if not strong_password(password):  # before the code is used up on a refusal
        raise ValidationError(WEAK_PASSWORD, field="password", code="WEAK_PASSWORD")
    account = accounts.find_by_email(email)
    if account is None or account.disabled_at is not None:
        raise CodeInvalidError()
    if codes.redeem("reset", account.user_sub, code, now) != email:
        raise CodeInvalidError()
    deps.identity.set_password(email, password)
    sessions.revoke(account.user_sub)
    deps.identity.global_sign_out(email)
    return {"status": "reset"}
