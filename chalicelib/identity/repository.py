"""Accounts (profiles): one item per Cognito user, keyed by its `sub`. Private to the
identity package; the repository's named methods are the only persistence code here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, register, transaction


class ByEmail(GlobalSecondaryIndex["Account"]):
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class ByPhone(GlobalSecondaryIndex["Account"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone_norm = UnicodeAttribute(hash_key=True)


@register
class Account(Model):
    class Meta:
        table_name = "accounts"

    user_sub = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()  # normalised (lower case)
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    phone_norm = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="personal")  # personal | unit | staff
    unit_name = UnicodeAttribute(null=True)
    credit_code = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()

    by_email = ByEmail()
    by_phone = ByPhone()


class AccountRepository:
    """Each write is one transaction with its audit entry."""

    def get(self, user_sub: str, consistent_read: bool = False) -> Account | None:
        try:
            return Account.get(user_sub, consistent_read=consistent_read)
        except DoesNotExist:
            return None

    def create(self, account: Account, now: datetime) -> None:
        """Insert a new profile (raises when the `sub` already has one)."""
        with transaction() as tx:
            tx.save(account, condition=Account.user_sub.does_not_exist())
            tx.save(audit_entry(f"account#{account.user_sub}", "account.created",
                                account.user_sub, now, {"kind": account.kind}))

    def erase(self, account: Account, name: str, email: str, actor: str, now: datetime,
              data: dict[str, Any]) -> bool:
        """Replace name and e-mail, drop the phone, audited once; False when the account no
        longer has the e-mail it was read with (erased by a racing request meanwhile)."""

        def write(tx: Any) -> None:
            tx.update(account, actions=[Account.name.set(name), Account.email.set(email),
                                        Account.phone.remove(), Account.phone_norm.remove()],
                      condition=Account.email == account.email)
            tx.save(audit_entry(f"account#{account.user_sub}", "account.erased", actor, now,
                                data))

        return committed(write)
