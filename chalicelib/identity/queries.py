"""What other features may read of identity: whether an account's contact points are
verified, and its membership priced only through them (registration decides the tier here)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.editions import members
from chalicelib.editions.edition import Edition
from chalicelib.identity.repository import Account


def email_verified(account: Account) -> bool:
    return bool(account.email_verified)


def phone_verified(account: Account) -> bool:
    return bool(account.phone_norm) and account.phone_verified_norm == account.phone_norm


def membership_status(account: Account, edition: Edition, at: datetime) -> dict[str, Any]:
    """The member status of the account for `edition` at `at`: a roster row counts only
    through the account's verified e-mail or verified phone."""
    return members.membership_status(account.email, account.phone_norm, edition, at,
                                     email_verified=email_verified(account),
                                     phone_verified=phone_verified(account))
