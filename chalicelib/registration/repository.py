"""Registrations and the repository that moves them between states. Private to the
registration package: other features read through `queries` and write through
`transitions`."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.mail import outbox
from chalicelib.platform.store.attributes import FenAttribute, StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, decode_token, encode_token, register, transaction
from chalicelib.platform.store.uniques import Unique
from chalicelib.registration.states import LIVE, PAYMENT_STATUS, STATUS, TIER, PaymentStatus, RegistrationStatus


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


class ByEditionLinkedUnit(GlobalSecondaryIndex["Registration"]):
    """The registrations their trainees linked to a verified unit account:
    `2026#<unit account sub>` (sparse: only linked ones)."""
    class Meta:
        index_name = "by_edition_linked_unit"
        projection = AllProjection()

    edition_linked_unit = UnicodeAttribute(hash_key=True)
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
    status = StateAttribute(STATUS)
    payment_status = StateAttribute(PAYMENT_STATUS, default=PaymentStatus.UNPAID.value)
    tier = StateAttribute(TIER)
    fee_fen = FenAttribute()
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
    # The verified unit account its trainee linked it to (by their own choice), if any:
    unit_id = UnicodeAttribute(null=True)
    unit_linked_at = UTCDateTimeAttribute(null=True)
    edition_linked_unit = UnicodeAttribute(null=True)
    edition_status = UnicodeAttribute()
    edition_unit = UnicodeAttribute()
    edition_email = UnicodeAttribute()
    version = NumberAttribute(default=1)

    by_user = ByUser()
    by_edition_status = ByEditionStatus()
    by_edition_unit = ByEditionUnit()
    by_edition_email = ByEditionEmail()
    by_edition_linked_unit = ByEditionLinkedUnit()


def live_key(edition_id: str, user_sub: str) -> str:
    return f"live-registration#{edition_id}#{user_sub}"


def _audit(reg: Registration, action: str, actor: str, now: datetime,
           data: dict[str, Any] | None = None) -> Any:
    return audit_entry(f"registration#{reg.registration_id}", action, actor, now, data)


class RegistrationRepository:
    """Every state change is a conditional write in one transaction with its audit entry;
    the states a move may start from come from the state machine (`STATUS.sources`)."""

    # --- reads ------------------------------------------------------------------------
    def get(self, registration_id: str) -> Registration | None:
        try:
            return Registration.get(registration_id, consistent_read=True)
        except DoesNotExist:
            return None

    def get_many(self, registration_ids: list[str], consistent_read: bool = False
                 ) -> list[Registration]:
        """Several at once (missing ids are left out; order not kept)."""
        if not registration_ids:
            return []
        return list(Registration.batch_get(list(dict.fromkeys(registration_ids)),
                                           consistent_read=consistent_read))

    def live_registration_id(self, edition_id: str, user_sub: str) -> str | None:
        try:
            return Unique.get(live_key(edition_id, user_sub), consistent_read=True).owner
        except DoesNotExist:
            return None

    def list_mine(self, user_sub: str) -> list[Registration]:
        return list(Registration.by_user.query(user_sub, scan_index_forward=False))

    def list_by_status(self, edition_id: str, status: str, limit: int,
                       token: str | None) -> tuple[list[Registration], str | None]:
        """A page of the queue, oldest first; the token only when more follow. DynamoDB
        answers a LastEvaluatedKey whenever the Limit is reached, also when nothing follows
        (an empty 加载更多 page), so one item more is asked for and cut off."""
        result = Registration.by_edition_status.query(
            _edition_status(edition_id, status), scan_index_forward=True, limit=limit + 1,
            last_evaluated_key=decode_token(token))
        items = list(result)
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, encode_token(_queue_key(items[-1]))

    def first_by_status(self, edition_id: str, status: str, limit: int) -> list[Registration]:
        """At most `limit` of the queue, oldest first, in one Query that reads no more."""
        return list(Registration.by_edition_status.query(
            _edition_status(edition_id, status), scan_index_forward=True, limit=limit))

    def all_by_status(self, edition_id: str, status: str) -> list[Registration]:
        return list(Registration.by_edition_status.query(_edition_status(edition_id, status)))

    def count_by_status(self, edition_id: str, status: str) -> int:
        return int(Registration.by_edition_status.count(_edition_status(edition_id, status)))

    def list_by_unit(self, edition_id: str, unit_norm: str) -> list[Registration]:
        return list(Registration.by_edition_unit.query(f"{edition_id}#{unit_norm}"))

    def find_by_email(self, edition_id: str, email: str) -> list[Registration]:
        return list(Registration.by_edition_email.query(f"{edition_id}#{email}"))

    def list_linked(self, edition_id: str, unit_id: str) -> list[Registration]:
        return list(Registration.by_edition_linked_unit.query(f"{edition_id}#{unit_id}"))

    # --- writes -----------------------------------------------------------------------
    def create(self, reg: Registration, actor: str, now: datetime) -> bool:
        """Insert with its live-registration guard; False when a live one already exists."""
        reg.edition_status = _edition_status(reg.edition_id, reg.status)
        guard = Unique(key=live_key(reg.edition_id, reg.user_sub), owner=reg.registration_id,
                       created_at=now)

        def write(tx: Any) -> None:
            tx.save(guard, condition=Unique.key.does_not_exist())
            tx.save(reg, condition=Registration.registration_id.does_not_exist())
            tx.save(_audit(reg, "registration.submitted", actor, now,
                           {"tier": reg.tier, "fee_fen": reg.fee_fen}))

        return committed(write)

    def approve(self, reg: Registration, actor: str, now: datetime, mail: Any = None) -> bool:
        """pending -> approved; False when another request moved it first. On success `reg`
        holds what was written (nothing else changes a pending registration). `mail`: the
        approval mail's outbox item (outbox.prepare_mail), recorded in the same transaction."""
        ok = self._move(reg, RegistrationStatus.APPROVED, actor, now, "registration.approved",
                        [Registration.reviewed_at.set(now), Registration.reviewed_by.set(actor)],
                        mail=mail)
        if ok:  # what the transaction wrote, applied here instead of read back
            reg.status = RegistrationStatus.APPROVED.value
            reg.edition_status = _edition_status(reg.edition_id, reg.status)
            reg.version = (reg.version or 0) + 1
            reg.reviewed_at, reg.reviewed_by = now, actor
        return ok

    def reject(self, reg: Registration, reason: str, actor: str, now: datetime) -> bool:
        """pending -> rejected with its reason; frees the one-live-registration guard."""
        return self._move(reg, RegistrationStatus.REJECTED, actor, now, "registration.rejected",
                          [Registration.reviewed_at.set(now), Registration.reviewed_by.set(actor),
                           Registration.reject_reason.set(reason)],
                          data={"reason": reason}, release_live=True)

    def withdraw(self, reg: Registration, actor: str, now: datetime) -> bool:
        """A live, unpaid registration held by no order -> withdrawn; frees the guard."""
        return self._move(reg, RegistrationStatus.WITHDRAWN, actor, now, "registration.withdrawn",
                          [Registration.withdrawn_at.set(now)], release_live=True,
                          condition=(Registration.payment_status == PaymentStatus.UNPAID.value)
                          & Registration.open_order_id.does_not_exist())

    def link_unit(self, reg: Registration, unit_id: str, actor: str, now: datetime) -> bool:
        """Its trainee links a live registration to a verified unit account (only while it
        is linked to none); False when it changed meanwhile."""
        def write(tx: Any) -> None:
            tx.update(reg, actions=[
                Registration.unit_id.set(unit_id), Registration.unit_linked_at.set(now),
                Registration.edition_linked_unit.set(f"{reg.edition_id}#{unit_id}"),
                Registration.version.add(1)],
                condition=Registration.status.is_in(*(s.value for s in LIVE))
                & Registration.unit_id.does_not_exist())
            tx.save(_audit(reg, "registration.unit_linked", actor, now, {"unit_id": unit_id}))

        return committed(write)

    def unlink_unit(self, reg: Registration, actor: str, now: datetime) -> bool:
        """Its trainee takes the link back, while the registration is held by the same order
        as when it was read (the service leaves a group order first); False when it changed
        meanwhile (e.g. the unit reserved it in a group order)."""
        held = Registration.open_order_id.does_not_exist() if not reg.open_order_id else \
            Registration.open_order_id == reg.open_order_id

        def write(tx: Any) -> None:
            tx.update(reg, actions=[
                Registration.unit_id.remove(), Registration.unit_linked_at.remove(),
                Registration.edition_linked_unit.remove(), Registration.version.add(1)],
                condition=(Registration.unit_id == reg.unit_id) & held)
            tx.save(_audit(reg, "registration.unit_unlinked", actor, now,
                           {"unit_id": reg.unit_id}))

        return committed(write)

    def scrub_person(self, user_sub: str, regs: list[Registration], name: str, phone: str,
                     email: str) -> int:
        """Replace the person's name and contact on their registrations (erasure); the
        facts (status, payment, fee) stay. Repeating it is harmless."""
        for start in range(0, len(regs), 100):
            with transaction() as tx:
                for reg in regs[start:start + 100]:
                    tx.update(reg, actions=[
                        Registration.name.set(name), Registration.phone.set(phone),
                        Registration.email.set(email),
                        Registration.edition_email.set(f"{reg.edition_id}#{email}")],
                        condition=Registration.user_sub == user_sub)
        return len(regs)

    def _move(self, reg: Registration, new: RegistrationStatus, actor: str, now: datetime,
              action: str, extra_actions: list[Any], data: dict[str, Any] | None = None,
              release_live: bool = False, condition: Any = None, mail: Any = None) -> bool:
        """`reg` -> `new` if it is still in a state the machine lets move there (with the
        outbox item `mail`, if given, in the same transaction)."""
        expected = Registration.status.is_in(*STATUS.sources(new))
        if condition is not None:
            expected = expected & condition
        actions = [Registration.status.set(new.value),
                   Registration.edition_status.set(_edition_status(reg.edition_id, new)),
                   Registration.version.add(1), *extra_actions]

        def write(tx: Any) -> None:
            tx.update(reg, actions=actions, condition=expected)
            if release_live:
                tx.delete(Unique(key=live_key(reg.edition_id, reg.user_sub)),
                          condition=Unique.owner == reg.registration_id)
            tx.save(_audit(reg, action, actor, now, data))
            if mail is not None:
                outbox.record_in(tx, mail)

        return committed(write)


def _queue_key(reg: Registration) -> dict[str, Any]:
    """The review queue index's key of `reg`, as DynamoDB's LastEvaluatedKey names it."""
    return {"registration_id": {"S": reg.registration_id},
            "edition_status": {"S": reg.edition_status},
            "submitted_at": {"S": Registration.submitted_at.serialize(reg.submitted_at)}}


def _edition_status(edition_id: str, status: str) -> str:
    return f"{edition_id}#{status}"
