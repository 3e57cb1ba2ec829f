"""Unit verification (单位认证) and unit invitations: the persistence of `identity.units`.
Private to the identity package. A unit's profile is keyed by the unit account's `sub`;
its state moves are conditional writes with their audit entry. The `verified_name` index
holds only verified units (sparse), so a trainee can pick one by name; `queue` orders the
staff's review list by status."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.identity.states import UNIT_STATUS, UnitStatus
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, decode_token, encode_token, register


class ByQueue(GlobalSecondaryIndex["UnitProfile"]):
    """The staff's list: units by status, oldest submission first."""
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    status_key = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


class ByVerifiedName(GlobalSecondaryIndex["UnitProfile"]):
    """Verified units by normalised name (set only while verified)."""
    class Meta:
        index_name = "by_verified_name"
        projection = AllProjection()

    verified_name = UnicodeAttribute(hash_key=True)


@register
class UnitProfile(Model):
    class Meta:
        table_name = "units"

    unit_id = UnicodeAttribute(hash_key=True)  # the unit account's sub
    unit_name = UnicodeAttribute()
    credit_code = UnicodeAttribute()
    email = UnicodeAttribute()
    status = StateAttribute(UNIT_STATUS)
    status_key = UnicodeAttribute()  # = status (the queue index's key)
    submitted_at = UTCDateTimeAttribute()  # sign-up, or the latest letter
    letter_key = UnicodeAttribute(null=True)
    letter_type = UnicodeAttribute(null=True)
    letter_at = UTCDateTimeAttribute(null=True)
    reviewed_at = UTCDateTimeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    verified_name = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    by_queue = ByQueue()
    by_verified_name = ByVerifiedName()


@register
class UnitInvitation(Model):
    """A verified unit invited the person with this e-mail to link their registration."""
    class Meta:
        table_name = "unit-invitations"

    email = UnicodeAttribute(hash_key=True)  # normalised
    unit_id = UnicodeAttribute(range_key=True)
    unit_name = UnicodeAttribute()
    invited_at = UTCDateTimeAttribute()


def _audit(unit_id: str, action: str, actor: str, now: datetime,
           data: dict[str, Any] | None = None) -> Any:
    return audit_entry(f"unit#{unit_id}", action, actor, now, data)


class UnitRepository:
    def get(self, unit_id: str) -> UnitProfile | None:
        try:
            return UnitProfile.get(unit_id, consistent_read=True)
        except DoesNotExist:
            return None

    def create(self, profile: UnitProfile, now: datetime) -> bool:
        """The pending profile of a unit account (False: it exists already)."""
        profile.status_key = profile.status

        def write(tx: Any) -> None:
            tx.save(profile, condition=UnitProfile.unit_id.does_not_exist())
            tx.save(_audit(profile.unit_id, "unit.created", profile.unit_id, now,
                           {"credit_code": profile.credit_code}))

        return committed(write)

    def set_letter(self, profile: UnitProfile, key: str, content_type: str,
                   now: datetime) -> bool:
        """Record the authorization letter's object key; a rejected unit goes back to
        pending (resubmission). A verified unit's letter is never replaced."""
        new = UnitStatus.PENDING.value
        actions = [UnitProfile.letter_key.set(key), UnitProfile.letter_type.set(content_type),
                   UnitProfile.letter_at.set(now), UnitProfile.submitted_at.set(now),
                   UnitProfile.status.set(new), UnitProfile.status_key.set(new),
                   UnitProfile.version.add(1)]
        condition = UnitProfile.status.is_in(UnitStatus.PENDING.value, *UNIT_STATUS.sources(new))

        def write(tx: Any) -> None:
            tx.update(profile, actions=actions, condition=condition)
            tx.save(_audit(profile.unit_id, "unit.letter_uploaded", profile.unit_id, now,
                           {"key": key, "content_type": content_type}))

        return committed(write)

    def review(self, profile: UnitProfile, new: UnitStatus, actor: str, now: datetime,
               reason: str | None, name_key: str | None) -> bool:
        """pending -> verified (indexed by name) or rejected (with its reason), only from the
        letter the reviewer saw (the version read)."""
        actions = [UnitProfile.status.set(new.value), UnitProfile.status_key.set(new.value),
                   UnitProfile.reviewed_at.set(now), UnitProfile.reviewed_by.set(actor),
                   UnitProfile.version.add(1)]
        if new == UnitStatus.VERIFIED:
            actions += [UnitProfile.verified_name.set(name_key or ""),
                        UnitProfile.reject_reason.remove()]
        else:
            actions.append(UnitProfile.reject_reason.set(reason or ""))
        condition = UnitProfile.status.is_in(*UNIT_STATUS.sources(new)) & (
            UnitProfile.version == profile.version)

        def write(tx: Any) -> None:
            tx.update(profile, actions=actions, condition=condition)
            tx.save(_audit(profile.unit_id, f"unit.{new.value}", actor, now,
                           {"reason": reason} if reason else None))

        return committed(write)

    def page_by_status(self, status: str, limit: int,
                       token: str | None) -> tuple[list[UnitProfile], str | None]:
        result = UnitProfile.by_queue.query(status, scan_index_forward=True, limit=limit,
                                            last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)

    def verified_by_name(self, name_key: str) -> list[UnitProfile]:
        return list(UnitProfile.by_verified_name.query(name_key))

    # --- invitations ----------------------------------------------------------------
    def invite(self, invitation: UnitInvitation, now: datetime) -> None:
        """Record (or renew) the invitation with its audit entry; repeating it is harmless."""
        def write(tx: Any) -> None:
            tx.save(invitation)
            tx.save(_audit(invitation.unit_id, "unit.invited", invitation.unit_id, now,
                           {"email": invitation.email}))

        committed(write)

    def invitations_for(self, email: str) -> list[UnitInvitation]:
        return list(UnitInvitation.query(email))

    def invitation(self, email: str, unit_id: str) -> UnitInvitation | None:
        try:
            return UnitInvitation.get(email, unit_id, consistent_read=True)
        except DoesNotExist:
            return None
