"""Accounts (profiles): one item per Cognito user, keyed by its `sub`. Private to the
identity package; the repository's named methods are the only persistence code here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, is_condition_failure, register, save_if_absent, transaction


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
    # Verified contact points: the e-mail by Cognito's confirmation code, the phone by an
    # SMS code (the number that was verified: changing the phone un-verifies it).
    email_verified = BooleanAttribute(null=True)
    phone_verified_norm = UnicodeAttribute(null=True)
    phone_verified_at = UTCDateTimeAttribute(null=True)
    disabled_at = UTCDateTimeAttribute(null=True)

    by_email = ByEmail()
    by_phone = ByPhone()


@register
class OneTimeCode(Model):
    """A code sent to a person (SMS or mail), kept only as a salted hash until used once,
    expired or tried too often; DynamoDB's TTL removes what is left."""
    class Meta:
        table_name = "codes"

    key = UnicodeAttribute(hash_key=True)  # <purpose>#<subject>
    code_hash = UnicodeAttribute()
    salt = UnicodeAttribute()
    target = UnicodeAttribute()  # where it was sent (the phone or e-mail it proves)
    attempts = NumberAttribute(default=0)
    expires_at = UTCDateTimeAttribute()
    ttl = TTLAttribute()


class CodeRepository:
    def put(self, code: OneTimeCode) -> None:
        """Store a new code for its key; it replaces the one sent before."""
        code.save()

    def put_back(self, code: OneTimeCode) -> bool:
        """Store a used code again as it was; False when a newer code took its key meanwhile."""
        return save_if_absent(code, OneTimeCode.key)

    def get(self, key: str) -> OneTimeCode | None:
        try:
            return OneTimeCode.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def count_attempt(self, code: OneTimeCode, max_attempts: int) -> bool:
        """One more try of this very code; False when it has had `max_attempts` already
        (or was used or replaced meanwhile)."""
        try:
            code.update(actions=[OneTimeCode.attempts.add(1)],
                        condition=(OneTimeCode.code_hash == code.code_hash)
                        & (OneTimeCode.attempts < max_attempts))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def consume(self, code: OneTimeCode) -> bool:
        """Delete the code that matched; False when a racing request used it first."""
        try:
            code.delete(condition=OneTimeCode.code_hash == code.code_hash)
        except DeleteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True


class AccountRepository:
    """Each write is one transaction with its audit entry."""

    def get(self, user_sub: str, consistent_read: bool = False) -> Account | None:
        try:
            return Account.get(user_sub, consistent_read=consistent_read)
        except DoesNotExist:
            return None

    def find_by_email(self, email: str) -> Account | None:
        """The account with this (normalised) e-mail, if any."""
        return next(iter(Account.by_email.query(email, limit=1)), None)

    def with_verified_phone(self, phone_norm: str) -> list[Account]:
        """The accounts whose verified phone is this number."""
        return [a for a in Account.by_phone.query(phone_norm)
                if a.phone_verified_norm == phone_norm]

    def mark_email_verified(self, account: Account, now: datetime) -> None:
        with transaction() as tx:
            tx.update(account, actions=[Account.email_verified.set(True)],
                      condition=Account.email == account.email)
            tx.save(audit_entry(f"account#{account.user_sub}", "account.email_verified",
                                account.user_sub, now, None))

    def mark_phone_verified(self, account: Account, phone_norm: str, now: datetime) -> bool:
        """Record the verified number; False when the account's phone changed meanwhile."""

        def write(tx: Any) -> None:
            tx.update(account, actions=[Account.phone_verified_norm.set(phone_norm),
                                        Account.phone_verified_at.set(now)],
                      condition=Account.phone_norm == phone_norm)
            tx.save(audit_entry(f"account#{account.user_sub}", "account.phone_verified",
                                account.user_sub, now, None))

        return committed(write)

    def disable(self, account: Account, actor: str, now: datetime) -> None:
        with transaction() as tx:
            tx.update(account, actions=[Account.disabled_at.set(now)])
            tx.save(audit_entry(f"account#{account.user_sub}", "account.disabled", actor, now,
                                None))

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
                                        Account.phone.remove(), Account.phone_norm.remove(),
                                        Account.phone_verified_norm.remove(),
                                        Account.email_verified.remove()],
                      condition=Account.email == account.email)
            tx.save(audit_entry(f"account#{account.user_sub}", "account.erased", actor, now,
                                data))

        return committed(write)
