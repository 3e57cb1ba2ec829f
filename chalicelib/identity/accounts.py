"""Accounts: sign-up (personal and unit), login, the profile with membership status and
verified contact points; disabling and ending an account's sessions."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.editions.errors import EditionNotFoundError
from chalicelib.identity import queries, throttling as limits
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.identity.errors import AccountNotFoundError, InvalidCreditCodeError
from chalicelib.identity.repository import Account, AccountRepository
from chalicelib.platform import sessions
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import AppError, ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.observability import logger
from chalicelib.platform.store import throttle
from chalicelib.platform.text import normalise_email, normalise_phone

repo = AccountRepository()

mail.register_template(
    "account.signup_again", "有人尝试用您的邮箱注册在职培训平台",
    "您好：\n\n刚才有人用本邮箱 {email} 在在职培训平台注册新账号。该邮箱已有账号，因此没有创建新账号。\n"
    "如果是您本人，请直接登录；忘记密码可在登录页点击“忘记密码”重设。\n如果不是您本人，请忽略本邮件，您的账号不受影响。")


def sign_up(deps: Deps, *, email: str, password: str, name: str, phone: str | None,
            kind: str, unit_name: str | None, credit_code: str | None,
            now: datetime, group: str | None = None) -> dict[str, Any]:
    """Create the Cognito user and its profile; a unit account joins the `unit` group."""
    email = normalise_email(email)
    phone_norm = normalise_phone(phone) if phone else None
    if phone and not (phone_norm and 7 <= len(phone_norm) <= 15):
        raise ValidationError("手机号码格式不正确", field="phone")
    code = None
    if kind == "unit":
        if not unit_name:
            raise ValidationError("单位账号须填写单位名称", field="unit_name")
        code = normalise_credit_code(credit_code or "")
        if code is None:
            raise InvalidCreditCodeError()
    sub = deps.identity.sign_up(email, password, {"name": name})
    # The dev and test stages confirm the account at sign-up in the provider's place (no
    # code mail); in prod the e-mail is verified by Cognito's code (POST /auth/confirm).
    account = Account(user_sub=sub, email=email, name=name, phone=phone, phone_norm=phone_norm,
                      kind=kind, unit_name=unit_name, credit_code=code, created_at=now,
                      email_verified=bool(deps.settings.is_dev))
    try:
        role = group or ("unit" if kind == "unit" else None)
        if role:
            deps.identity.add_to_group(email, role)
        repo.create(account, now)
    except Exception:
        # Never leave a Cognito user without its profile: undo, so the e-mail can retry.
        logger.exception("profile not saved; removing the identity")
        deps.identity.delete_user(email)
        raise
    return profile_view(account)


def sign_up_request(deps: Deps, *, ip: str, now: datetime, **fields: Any) -> dict[str, Any]:
    """POST /auth/signup: sign_up, limited per address and e-mail. An e-mail that already
    has an account gets the same answer as a new one (nothing to enumerate); the owner is
    told by mail instead."""
    email = normalise_email(fields["email"])
    throttle.hit(limits.address_limit(deps, limits.SIGNUP_BURST_PER_IP), ip, now)
    throttle.hit(limits.address_limit(deps, limits.SIGNUP_PER_IP), ip, now)
    throttle.hit(limits.SIGNUP_PER_EMAIL, email, now)
    try:
        return sign_up(deps, now=now, **fields)
    except AppError as exc:
        if exc.code != "EMAIL_TAKEN":
            raise
    mail.queue_mail(deps, f"signup-again#{email}#{now.isoformat()}", email,
                    "account.signup_again", {"email": email}, now)
    phone = fields.get("phone")
    return {"user_id": str(uuid.uuid4()), "email": email, "name": fields["name"],
            "phone": phone, "kind": fields["kind"], "unit_name": fields.get("unit_name"),
            "credit_code": normalise_credit_code(fields.get("credit_code") or "")
            if fields["kind"] == "unit" else None, "created_at": iso(now),
            "email_verified": bool(deps.settings.is_dev), "phone_verified": False}


def login(deps: Deps, email: str, password: str, ip: str, now: datetime) -> dict[str, Any]:
    """Sign in; failures are counted per account and per address, and past the limit even
    the right password waits until the window ends (guessing gains nothing)."""
    email = normalise_email(email)
    throttle.check(limits.LOGIN_FAILURES_PER_ACCOUNT, email, now)
    throttle.check(limits.address_limit(deps, limits.LOGIN_FAILURES_PER_IP), ip, now)
    try:
        tokens: dict[str, Any] = deps.identity.login(email, password)
    except AppError as exc:
        if exc.code == "INVALID_CREDENTIALS":
            throttle.record(limits.LOGIN_FAILURES_PER_ACCOUNT, email, now)
            throttle.record(limits.address_limit(deps, limits.LOGIN_FAILURES_PER_IP), ip, now)
        raise
    _note_email_verified(tokens, now)
    return tokens


def _note_email_verified(tokens: dict[str, Any], now: datetime) -> None:
    """Cognito's id token says whether the e-mail is verified (its confirmation code): an
    account confirmed before the platform recorded it (or elsewhere) is marked at sign-in.
    The token comes straight from Cognito in this call, so its claims are read as they are."""
    import jwt
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    if str(claims.get("email_verified", "")).lower() != "true":
        return
    account = repo.get(str(claims.get("sub", "")))
    if account is not None and not account.email_verified:
        repo.mark_email_verified(account, now)


def confirm(deps: Deps, email: str, code: str, ip: str, now: datetime) -> None:
    """Cognito's e-mail confirmation code: the account is confirmed and its e-mail verified."""
    email = normalise_email(email)
    throttle.hit(limits.address_limit(deps, limits.VERIFY_PER_IP), ip, now)
    throttle.hit(limits.VERIFY_PER_ACCOUNT, f"confirm:{email}", now)
    deps.identity.confirm(email, code)
    account = repo.find_by_email(email)
    if account is not None and not account.email_verified:
        repo.mark_email_verified(account, now)


def find_by_email(email: str) -> Account | None:
    return repo.find_by_email(normalise_email(email))


def end_sessions(deps: Deps, account: Account, *, closed: bool) -> None:
    """Sign the account out everywhere: its refresh tokens revoked at the provider, its id
    tokens refused at the boundary (all of them when `closed`: erased or disabled)."""
    sessions.revoke(account.user_sub, closed=closed)
    deps.identity.global_sign_out(account.email)


def disable(deps: Deps, user_sub: str, actor: str, now: datetime) -> dict[str, Any]:
    """An administrator stops an account: no sign-in, every session ended."""
    account = get_account(user_sub, consistent_read=True)
    if account.disabled_at is None:
        repo.disable(account, actor, now)
    deps.identity.disable_user(account.email)
    end_sessions(deps, account, closed=True)
    return {"user_id": user_sub, "disabled": True}


ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never deliverable


def erased_email(user_sub: str) -> str:
    """The placeholder an erased account's e-mail becomes."""
    return f"erased-{user_sub}@{ERASED_DOMAIN}"


def is_erased(account: Any) -> bool:
    return str(account.email).endswith("@" + ERASED_DOMAIN)


def get_account(user_sub: str, consistent_read: bool = False) -> Account:
    account = repo.get(user_sub, consistent_read=consistent_read)
    if account is None:
        raise AccountNotFoundError()
    return account


def erase_account(account: Account, name: str, placeholder: str, actor: str, now: datetime,
                  data: dict[str, Any]) -> bool:
    """Erasure's commit point: the account keeps only placeholders (False: already erased)."""
    return repo.erase(account, name, placeholder, actor, now, data)


def profile_view(account: Account) -> dict[str, Any]:
    return {"user_id": account.user_sub, "email": account.email, "name": account.name,
            "phone": account.phone, "kind": account.kind, "unit_name": account.unit_name,
            "credit_code": account.credit_code, "created_at": iso(account.created_at),
            "email_verified": queries.email_verified(account),
            "phone_verified": queries.phone_verified(account)}


def me(deps: Deps, user_sub: str, roles: list[str], now: datetime) -> dict[str, Any]:
    account = get_account(user_sub)
    view = profile_view(account)
    view["roles"] = roles
    try:
        edition = editions.get_current(deps)
    except EditionNotFoundError:
        view["membership"] = None
        return view
    view["membership"] = queries.membership_status(account, edition, now)
    return view
