"""Accounts: sign-up (personal and unit), login, the profile with membership status."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.platform.clock import iso
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.platform.text import normalise_email, normalise_phone
from chalicelib.platform.errors import NotFoundError, ValidationError
from chalicelib.platform.observability import logger
from chalicelib.editions import service as editions, members
from chalicelib.platform.deps import Deps
from chalicelib.identity.repository import Account
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import transaction


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
            raise ValidationError("统一社会信用代码无效（校验位不符或格式错误）", field="credit_code",
                                  code="INVALID_CREDIT_CODE")
    sub = deps.identity.sign_up(email, password, {"name": name})
    account = Account(user_sub=sub, email=email, name=name, phone=phone, phone_norm=phone_norm,
                      kind=kind, unit_name=unit_name, credit_code=code, created_at=now)
    try:
        role = group or ("unit" if kind == "unit" else None)
        if role:
            deps.identity.add_to_group(email, role)
        with transaction() as tx:
            tx.save(account, condition=Account.user_sub.does_not_exist())
            tx.save(audit_entry(f"account#{sub}", "account.created", sub, now, {"kind": kind}))
    except Exception:
        # Never leave a Cognito user without its profile: undo, so the e-mail can retry.
        logger.exception("profile not saved; removing the identity")
        deps.identity.delete_user(email)
        raise
    return profile_view(account)


def get_account(user_sub: str) -> Account:
    try:
        return Account.get(user_sub)
    except DoesNotExist as exc:
        raise NotFoundError("账号资料不存在", code="ACCOUNT_NOT_FOUND") from exc


def profile_view(account: Account) -> dict[str, Any]:
    return {"user_id": account.user_sub, "email": account.email, "name": account.name,
            "phone": account.phone, "kind": account.kind, "unit_name": account.unit_name,
            "credit_code": account.credit_code, "created_at": iso(account.created_at)}


def me(deps: Deps, user_sub: str, roles: list[str], now: datetime) -> dict[str, Any]:
    account = get_account(user_sub)
    view = profile_view(account)
    view["roles"] = roles
    try:
        edition = editions.get_current(deps)
    except NotFoundError:
        view["membership"] = None
        return view
    view["membership"] = members.membership_status(account.email, account.phone_norm,
                                                   edition, now)
    return view
