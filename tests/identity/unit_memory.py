"""In-memory twins of identity's unit and staff-MFA repositories: the same methods and the
same conditions, dicts inside (tests/identity/test_units_repository_contract.py holds them
to the real ones on moto)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity.mfa_repository import StaffMfa
from chalicelib.identity.states import MFA_STATUS, UNIT_STATUS, MfaStatus, UnitStatus
from chalicelib.identity.unit_repository import UnitInvitation, UnitProfile
from chalicelib.platform.paging import decode_token, encode_token


class InMemoryUnitRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.invites: dict[tuple[str, str], dict[str, Any]] = {}
        self.audit: list[tuple[str, str]] = []

    def _load(self, unit_id: str) -> UnitProfile | None:
        item = self.items.get(unit_id)
        return UnitProfile.from_raw_data(item) if item is not None else None

    def _store(self, profile: UnitProfile) -> None:
        self.items[profile.unit_id] = profile.serialize()  # an unknown state raises here too

    def get(self, unit_id: str) -> UnitProfile | None:
        return self._load(unit_id)

    def create(self, profile: UnitProfile, now: datetime) -> bool:
        if profile.unit_id in self.items:
            return False
        profile.status_key = profile.status
        self._store(profile)
        self.audit.append((profile.unit_id, "unit.created"))
        return True

    def set_letter(self, profile: UnitProfile, key: str, content_type: str, now: datetime) -> bool:
        current = self._load(profile.unit_id)
        new = UnitStatus.PENDING.value
        if current is None or current.status not in (new, *UNIT_STATUS.sources(new)):
            return False
        current.letter_key, current.letter_type, current.letter_at = key, content_type, now
        current.submitted_at, current.status, current.status_key = now, new, new
        current.version = (current.version or 0) + 1
        self._store(current)
        self.audit.append((profile.unit_id, "unit.letter_uploaded"))
        return True

    def review(self, profile: UnitProfile, new: UnitStatus, actor: str, now: datetime,
               reason: str | None, name_key: str | None) -> bool:
        current = self._load(profile.unit_id)
        if current is None or current.status not in UNIT_STATUS.sources(new) \
                or current.version != profile.version:
            return False
        current.status = current.status_key = new.value
        current.reviewed_at, current.reviewed_by = now, actor
        current.version = (current.version or 0) + 1
        if new == UnitStatus.VERIFIED:
            current.verified_name, current.reject_reason = name_key or "", None
        else:
            current.reject_reason = reason or ""
        self._store(current)
        self.audit.append((profile.unit_id, f"unit.{new.value}"))
        return True

    def page_by_status(self, status: str, limit: int,
                       token: str | None) -> tuple[list[UnitProfile], str | None]:
        queue = sorted((p for p in map(self._load, self.items) if p and p.status_key == status),
                       key=lambda p: p.submitted_at)
        start = int((decode_token(token) or {}).get("i", 0))
        more = start + limit < len(queue)
        return queue[start:start + limit], encode_token({"i": start + limit}) if more else None

    def verified_by_name(self, name_key: str) -> list[UnitProfile]:
        return [p for p in map(self._load, self.items) if p and p.verified_name == name_key]

    def invite(self, invitation: UnitInvitation, now: datetime) -> None:
        self.invites[(invitation.email, invitation.unit_id)] = invitation.serialize()
        self.audit.append((invitation.unit_id, "unit.invited"))

    def invitations_for(self, email: str) -> list[UnitInvitation]:
        return [UnitInvitation.from_raw_data(v) for (e, _), v in sorted(self.invites.items())
                if e == email]

    def invitation(self, email: str, unit_id: str) -> UnitInvitation | None:
        item = self.invites.get((email, unit_id))
        return UnitInvitation.from_raw_data(item) if item is not None else None


class InMemoryStaffMfaRepository:
    """The item moves only; sealing stays KMS's (the contract test checks the moves)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def _load(self, user_sub: str) -> StaffMfa | None:
        item = self.items.get(user_sub)
        return StaffMfa.from_raw_data(item) if item is not None else None

    def get(self, user_sub: str) -> StaffMfa | None:
        return self._load(user_sub)

    def start(self, item: StaffMfa, now: datetime) -> bool:
        if item.user_sub in self.items:
            return False
        self.items[item.user_sub] = item.serialize()
        return True

    def enrol(self, item: StaffMfa, step: int, now: datetime) -> bool:
        current = self._load(item.user_sub)
        if current is None or current.status not in MFA_STATUS.sources(MfaStatus.ENROLLED) \
                or current.sealed_secret != item.sealed_secret:
            return False
        current.status, current.enrolled_at, current.last_step = MfaStatus.ENROLLED.value, now, step
        self.items[item.user_sub] = current.serialize()
        return True

    def use_step(self, item: StaffMfa, step: int) -> bool:
        current = self._load(item.user_sub)
        if current is None or current.status != MfaStatus.ENROLLED.value \
                or not (current.last_step or 0) < step:
            return False
        current.last_step = step
        self.items[item.user_sub] = current.serialize()
        return True

    def reset(self, user_sub: str, actor: str, now: datetime) -> bool:
        return self.items.pop(user_sub, None) is not None

    def save_enrolled(self, item: StaffMfa) -> None:
        self.items[item.user_sub] = item.serialize()
