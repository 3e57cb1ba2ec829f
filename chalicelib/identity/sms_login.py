"""Login by SMS code, only for an account whose phone is **verified** (issue 14).

`POST /auth/login/sms/code {"phone"}`: the same answer whether or not the number belongs to
a verified account (nothing to enumerate); the SMS goes only to a verified, enabled
account's phone. `POST /auth/login/sms {"phone", "code"}`: the platform checks the code
(codes.py: hashed, single use, CODE_TTL_S, MAX_CODE_TRIES tries), then gets Cognito's own
tokens through CUSTOM_AUTH answered with a one-time nonce (custom_auth.py), so the code
never travels to Cognito. Refusals that would tell something about the account (staff,
disabled, a phone verified by several accounts) come only after a right code, that is only
to the phone's owner. Limits: per phone and per address (throttling.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity import accounts, codes, custom_auth, sms, throttling as limits
from chalicelib.identity.mfa import is_staff
from chalicelib.identity.errors import AccountDisabledError, CodeInvalidError, PhoneAmbiguousError, SmsLoginNotForStaffError
from chalicelib.identity.queries import phone_verified
from chalicelib.identity.verification import MAINLAND_MOBILE, limit_sending, mask_phone
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import AppError, ValidationError
from chalicelib.platform.observability import logger
from chalicelib.platform.store import throttle
from chalicelib.platform.text import normalise_phone

LOGIN_PURPOSE = "sms-login"
MAX_CODE_TRIES = 3  # a login code: three wrong answers and it is gone
AMBIGUOUS = "*"  # the code's target when several accounts verified the phone
SENT_MESSAGE = "若该手机号已在平台账号中验证，验证码已发送，5 分钟内有效"


def mainland_mobile(phone: str) -> str:
    norm = normalise_phone(phone)
    if not MAINLAND_MOBILE.fullmatch(norm):
        raise ValidationError("请填写中国大陆手机号（11 位，1 开头）", field="phone",
                              code="PHONE_NOT_MOBILE")
    return norm


def send_login_code(deps: Deps, phone: str, ip: str, now: datetime) -> dict[str, Any]:
    """A login code by SMS to the phone, when an enabled account verified it; the answer and
    the limits are the same either way."""
    norm = mainland_mobile(phone)
    limit_sending(deps, f"phone:{norm}", ip, now)
    owners = [a for a in accounts.repo.with_verified_phone(norm) if a.disabled_at is None]
    if owners:
        target = owners[0].user_sub if len(owners) == 1 else AMBIGUOUS
        code = codes.issue(LOGIN_PURPOSE, norm, target, now)
        sms.sender(deps).send_code(norm, code, "login")
    return {"status": "sent", "phone": mask_phone(norm), "message": SENT_MESSAGE,
            "expires_in": codes.CODE_TTL_S, "resend_after": limits.CODE_GAP_PER_TARGET.window_s}


def login_with_code(deps: Deps, phone: str, code: str, ip: str, now: datetime) -> dict[str, Any]:
    """The tokens of the account whose verified phone received `code`."""
    norm = mainland_mobile(phone)
    throttle.hit(limits.address_limit(deps, limits.VERIFY_PER_IP), ip, now)
    throttle.hit(limits.VERIFY_PER_ACCOUNT, f"sms-login:{norm}", now)
    used = codes.use(LOGIN_PURPOSE, norm, code, now, max_attempts=MAX_CODE_TRIES)
    try:
        return _tokens(deps, str(used.target), norm, now)
    except AppError as exc:
        if exc.status < 500:  # a refusal: the code stays used
            raise
        _give_back(used)
        raise
    except Exception:  # Cognito or the store unreachable: the right code may be typed again
        _give_back(used)
        raise


def _give_back(used: Any) -> None:
    try:
        codes.restore(used)
    except Exception:  # noqa: BLE001 - the original failure is the answer
        logger.warning("login code not restored after a failure")


def _tokens(deps: Deps, target: str, norm: str, now: datetime) -> dict[str, Any]:
    """Cognito's tokens for the account the right code named, unless it may not sign in so."""
    if target == AMBIGUOUS:
        raise PhoneAmbiguousError()
    account = accounts.repo.get(target, consistent_read=True)
    if account is None or account.phone_norm != norm or not phone_verified(account):
        raise CodeInvalidError()  # erased, or the phone changed since the code was sent
    if account.disabled_at is not None:
        raise AccountDisabledError()
    if account.kind == "staff" or is_staff(deps.identity.groups(account.email)):
        raise SmsLoginNotForStaffError()
    nonce = custom_auth.issue_nonce(account.user_sub, now)
    tokens: dict[str, Any] = deps.identity.login_custom(account.email, nonce)
    return tokens
