"""Registrations and the repository that moves them between states."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import decode_token, encode_token, is_condition_failure, register, transaction
from chalicelib.platform.store.uniques import Unique


class ByUser(GlobalSecondaryIndex["Registration"]):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_sub = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


class ByEditionStatus(GlobalSecondaryIndex["Registration"]):
    """The review queue: `2026#pending`, oldest first."""
    class Meta:
        index_name = "by_edition_status"
        projection = AllProjection()

    edition_status = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


class ByEditionUnit(GlobalSecondaryIndex["Registration"]):
    """A unit's staff: `2026#<normalised unit name>`."""
    class Meta:
        index_name = "by_edition_unit"
        projection = AllProjection()

    edition_unit = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


class ByEditionEmail(GlobalSecondaryIndex["Registration"]):
    """A registration found by its e-mail (group orders list staff by e-mail)."""
    class Meta:
        index_name = "by_edition_email"
        projection = AllProjection()

    edition_email = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


@register
class Registration(Model):
    class Meta:
        table_name = "registrations"

    registration_id = UnicodeAttribute(hash_key=True)
    edition_id = UnicodeAttribute()
    user_sub = UnicodeAttribute()
    name = UnicodeAttribute()
    unit_name = UnicodeAttribute()
    job_title = UnicodeAttribute()
    region = UnicodeAttribute()
    phone = UnicodeAttribute()
    email = UnicodeAttribute()
    status = UnicodeAttribute()
    payment_status = UnicodeAttribute(default="unpaid")
    tier = UnicodeAttribute()
    fee_fen = NumberAttribute()
    submitted_at = UTCDateTimeAttribute()
    reviewed_at = UTCDateTimeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    withdrawn_at = UTCDateTimeAttribute(null=True)
    # Payment bookkeeping (owned by the payments services):
    open_order_id = UnicodeAttribute(null=True)  # the one unpaid order holding it
    paid_order_id = UnicodeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    refunded_at = UTCDateTimeAttribute(null=True)
    # Learning bookkeeping (owned by the learning services):
    enrolled_at = UTCDateTimeAttribute(null=True)
    edition_status = UnicodeAttribute()
    edition_unit = UnicodeAttribute()
    edition_email = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_user = ByUser()
    by_edition_status = ByEditionStatus()
    by_edition_unit = ByEditionUnit()
    by_edition_email = ByEditionEmail()


def live_key(edition_id: str, user_sub: str) -> str:
    return f"live-registration#{edition_id}#{user_sub}"


class RegistrationRepository:
    """Every state change is a conditional write in one transaction with its audit entry."""

    def get(self, registration_id: str) -> Registration | None:
        try:
            return Registration.get(registration_id, consistent_read=True)
        except DoesNotExist:
            return None

    def create(self, reg: Registration, actor: str, now: datetime) -> bool:
        """Insert with its live-registration guard; False when a live one already exists."""
        guard = Unique(key=live_key(reg.edition_id, reg.user_sub), owner=reg.registration_id,
                       created_at=now)
        try:
            with transaction() as tx:
                tx.save(guard, condition=Unique.key.does_not_exist())
                tx.save(reg, condition=Registration.registration_id.does_not_exist())
                tx.save(audit_entry(f"registration#{reg.registration_id}",
                                    "registration.submitted", actor, now,
                                    {"tier": reg.tier, "fee_fen": reg.fee_fen}))
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def live_registration_id(self, edition_id: str, user_sub: str) -> str | None:
        try:
            return Unique.get(live_key(edition_id, user_sub), consistent_read=True).owner
        except DoesNotExist:
            return None

    def transition(self, reg: Registration, expected: str, new: str, actor: str, now: datetime,
                   action: str, data: dict[str, Any] | None = None,
                   extra_actions: list[Any] | None = None, release_live: bool = False,
                   extra_condition: Any = None) -> bool:
        """Move `reg` from `expected` to `new` if still there; False when another request
        moved it first. `release_live` frees the one-live-registration guard."""
        condition = Registration.status == expected
        if extra_condition is not None:
            condition = condition & extra_condition
        actions = [Registration.status.set(new),
                   Registration.edition_status.set(f"{reg.edition_id}#{new}"),
                   Registration.version.add(1), *(extra_actions or [])]
        try:
            with transaction() as tx:
                tx.update(reg, actions=actions, condition=condition)
                if release_live:
                    tx.delete(Unique(key=live_key(reg.edition_id, reg.user_sub)),
                              condition=Unique.owner == reg.registration_id)
                tx.save(audit_entry(f"registration#{reg.registration_id}", action, actor, now,
                                    data))
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def list_mine(self, user_sub: str) -> list[Registration]:
        return list(Registration.by_user.query(user_sub, scan_index_forward=False))

    def list_by_status(self, edition_id: str, status: str, limit: int,
                       token: str | None) -> tuple[list[Registration], str | None]:
        result = Registration.by_edition_status.query(
            f"{edition_id}#{status}", scan_index_forward=True, limit=limit,
            last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)

    def list_by_unit(self, edition_id: str, unit_norm: str) -> list[Registration]:
        return list(Registration.by_edition_unit.query(f"{edition_id}#{unit_norm}"))

    def find_by_email(self, edition_id: str, email: str) -> list[Registration]:
        return list(Registration.by_edition_email.query(f"{edition_id}#{email}"))

    def get_many(self, registration_ids: list[str], consistent_read: bool = False
                 ) -> list[Registration]:
        """Several at once (missing ids are left out; order not kept)."""
        if not registration_ids:
            return []
        return list(Registration.batch_get(list(dict.fromkeys(registration_ids)),
                                           consistent_read=consistent_read))

    def all_by_status(self, edition_id: str, status: str) -> list[Registration]:
        return list(Registration.by_edition_status.query(f"{edition_id}#{status}"))

    def count_by_status(self, edition_id: str, status: str) -> int:
        return int(Registration.by_edition_status.count(f"{edition_id}#{status}"))
