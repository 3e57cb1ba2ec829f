"""Accounts: sign-up (personal and unit), login, the profile with membership status."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.editions import members, service as editions
from chalicelib.editions.errors import EditionNotFoundError
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.identity.errors import AccountNotFoundError, InvalidCreditCodeError
from chalicelib.identity.repository import Account, AccountRepository
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.observability import logger
from chalicelib.platform.text import normalise_email, normalise_phone

repo = AccountRepository()


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
    account = Account(user_sub=sub, email=email, name=name, phone=phone, phone_norm=phone_norm,
                      kind=kind, unit_name=unit_name, credit_code=code, created_at=now)
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
            "credit_code": account.credit_code, "created_at": iso(account.created_at)}


def me(deps: Deps, user_sub: str, roles: list[str], now: datetime) -> dict[str, Any]:
    account = get_account(user_sub)
    view = profile_view(account)
    view["roles"] = roles
    try:
        edition = editions.get_current(deps)
    except EditionNotFoundError:
        view["membership"] = None
        return view
    view["membership"] = members.membership_status(account.email, account.phone_norm,
                                                   edition, now)
    return view
