"""Staff MFA: admin, finance and reviewer accounts sign in with a TOTP (RFC 6238: 6 digits,
30 s, SHA-1, what every authenticator app speaks) on top of their password, verified by
the platform with pyotp; each secret is sealed with KMS (identity/mfa_repository.py).

Why not Cognito's software tokens: moto (the local and test AWS) models them with one
constant secret shared by every user and accepts any code unless an environment switch is
set, so neither "each account has its own secret" nor a wrong code could be proven here.

`POST /auth/login` with `"totp"`: one call for outside clients. Without it a staff account
answers 401 MFA_REQUIRED; a staff account not enrolled yet answers 401
MFA_ENROLMENT_REQUIRED with its new secret (otpauth URI, QR code), once the password was
right; the same call with a code from that secret completes the enrolment and signs in.
A wrong code is 401 MFA_INVALID and counts as a failed sign-in (the account's login limit
applies). A code is accepted once (no replay within its 30 s). Codes are checked against
real time (authenticator apps keep real time), never the dev clock."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity import throttling as limits
from chalicelib.identity.mfa_repository import SecretSealError, StaffMfa, StaffMfaRepository
from chalicelib.identity.states import MfaStatus
from chalicelib.platform.clock import system_now
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import RetryLaterError, UnauthorizedError
from chalicelib.platform.observability import logger
from chalicelib.platform.store import throttle

repo = StaffMfaRepository()

STAFF_ROLES = ("admin", "finance", "reviewer")
ISSUER = "中国图书馆学会在职培训平台"
STEP_S = 30
VALID_WINDOW = 1  # the previous and the next step too (a phone's clock a little off)


class MfaRequiredError(UnauthorizedError):
    code = "MFA_REQUIRED"
    message = "管理人员登录须填写动态口令（身份验证器 App 显示的 6 位数字）"


class MfaInvalidError(UnauthorizedError):
    code = "MFA_INVALID"
    message = "动态口令错误或已使用，请等待 App 显示新的口令后重试"


class MfaEnrolmentRequiredError(UnauthorizedError):
    code = "MFA_ENROLMENT_REQUIRED"
    message = ("首次登录须绑定身份验证器：请用身份验证器 App（如 Microsoft Authenticator、"
               "Google 身份验证器）扫描二维码或输入密钥，然后填写 App 显示的 6 位动态口令再次登录")


def is_staff(roles: list[str]) -> bool:
    return any(r in STAFF_ROLES for r in roles)


def new_secret() -> str:
    import pyotp
    return str(pyotp.random_base32())


def otpauth_uri(secret: str, email: str) -> str:
    import pyotp
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER))


def _qr_svg(uri: str) -> str:
    import segno
    return str(segno.make(uri, error="m").svg_data_uri(scale=4))


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The 30 s step `code` belongs to (within the allowed window), or None."""
    import pyotp
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // STEP_S
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if totp.verify(code, for_time=step * STEP_S):
            return step
    return None


def _unseal(deps: Deps, item: StaffMfa) -> str:
    try:
        return repo.unseal(deps.settings, item.user_sub, item.sealed_secret)
    except SecretSealError as exc:
        logger.error("mfa secret could not be opened", extra={"error": str(exc)})
        raise RetryLaterError("动态口令服务暂不可用，请稍后重试") from exc


def _failed(email: str, now: datetime) -> None:
    throttle.record(limits.LOGIN_FAILURES_PER_ACCOUNT, email, now)


def second_factor(deps: Deps, tokens: dict[str, Any], totp: str | None, now: datetime,
                  at: datetime | None = None) -> dict[str, Any]:
    """The tokens of a password that was right, handed out only when the account is not
    staff, or when `totp` is a fresh code of its enrolled (or being enrolled) secret.
    `now`: the application clock (counters); `at`: real time (the codes)."""
    import jwt

    from chalicelib.platform.cognito import roles_from_claims
    # The token comes straight from our own server-side call to Cognito (not from a client):
    # read, not verified again (no JWKS round trip on a sign-in).
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    if not is_staff(roles_from_claims(claims)):
        return tokens
    at = at or system_now()
    sub, email = str(claims["sub"]), str(claims.get("email", ""))
    item = repo.get(sub)
    if item is not None and item.status == MfaStatus.ENROLLED.value:
        if not totp:
            raise MfaRequiredError()
        step = _matching_step(_unseal(deps, item), totp, at)
        if step is None or not repo.use_step(item, step):
            _failed(email, now)
            raise MfaInvalidError()
        return tokens
    if item is None:  # first sign-in: a new secret, kept pending until a code proves it
        sealed = repo.seal(deps.settings, sub, new_secret())
        repo.start(StaffMfa(user_sub=sub, sealed_secret=sealed, status=MfaStatus.PENDING.value,
                            created_at=now), now)
        item = repo.get(sub)
        assert item is not None
    secret = _unseal(deps, item)
    if totp:
        step = _matching_step(secret, totp, at)
        if step is not None and repo.enrol(item, step, now):
            return tokens
        _failed(email, now)
        raise MfaInvalidError()
    uri = otpauth_uri(secret, email)
    raise MfaEnrolmentRequiredError(otpauth_uri=uri, secret=secret, qr_svg=_qr_svg(uri))


def seed_enrolled(deps: Deps, user_sub: str, secret: str, now: datetime) -> None:
    """Dev stage only (devtools/bootstrap.py): a staff account enrolled with `secret`."""
    repo.save_enrolled(StaffMfa(user_sub=user_sub, sealed_secret=repo.seal(
        deps.settings, user_sub, secret), status=MfaStatus.ENROLLED.value, created_at=now, enrolled_at=now,
        last_step=0))


def enrolled(user_sub: str) -> bool:
    item = repo.get(user_sub)
    return item is not None and item.status == MfaStatus.ENROLLED.value


def reset(user_sub: str, actor: str, now: datetime) -> dict[str, Any]:
    """An admin forgets a staff account's TOTP secret (a lost or replaced phone): its next
    sign-in shows a new secret after the right password (MFA_ENROLMENT_REQUIRED)."""
    was = repo.reset(user_sub, actor, now)
    logger.info("mfa reset", extra={"user_sub": user_sub, "actor": actor, "had_secret": was})
    return {"user_id": user_sub, "status": "reset" if was else "not_enrolled"}
