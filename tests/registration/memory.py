"""The registration repository's in-memory twin (Chalice's todo sample: `InMemoryTodoDB`
beside `DynamoDBTodo`): the same methods and the same rules (one live registration per
person and edition, moves only from the states the table allows, the review queue oldest
first and paged), dicts inside, so the service's rules are tested in milliseconds.
tests/registration/test_repository_contract.py holds both to the same behaviour; moto
proves the real conditions and races."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.paging import decode_token, encode_token
from chalicelib.registration.repository import Registration
from chalicelib.registration.states import LIVE, STATUS, PaymentStatus, RegistrationStatus


class InMemoryRegistrationRepository:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}  # registration id -> the item as DynamoDB holds it
        self.live: dict[tuple[str, str], str] = {}  # (edition, user) -> live registration id
        self.audit: list[tuple[str, str, str, dict[str, Any] | None]] = []  # entity, action, actor, data
        self.mails: dict[str, Any] = {}  # outbox items a move recorded (mail id -> Mail)

    # --- storage as DynamoDB would see it ------------------------------------------------
    def _store(self, reg: Registration) -> None:
        # Serialised as it would be sent: an unknown state or a float fee raises here too.
        self.items[reg.registration_id] = reg.serialize()

    def _load(self, registration_id: str) -> Registration | None:
        item = self.items.get(registration_id)
        return Registration.from_raw_data(item) if item is not None else None

    def _all(self) -> list[Registration]:
        return [Registration.from_raw_data(item) for item in self.items.values()]

    def _audit(self, reg: Registration, action: str, actor: str,
               data: dict[str, Any] | None = None) -> None:
        self.audit.append((f"registration#{reg.registration_id}", action, actor, data))

    # --- reads ---------------------------------------------------------------------------
    def get(self, registration_id: str) -> Registration | None:
        return self._load(registration_id)

    def get_many(self, registration_ids: list[str], consistent_read: bool = False
                 ) -> list[Registration]:
        return [r for r in (self._load(i) for i in dict.fromkeys(registration_ids)) if r]

    def live_registration_id(self, edition_id: str, user_sub: str) -> str | None:
        return self.live.get((edition_id, user_sub))

    def list_mine(self, user_sub: str) -> list[Registration]:
        return sorted((r for r in self._all() if r.user_sub == user_sub),
                      key=lambda r: r.submitted_at, reverse=True)

    def _queue(self, edition_id: str, status: str) -> list[Registration]:
        return sorted((r for r in self._all() if r.edition_status == f"{edition_id}#{status}"),
                      key=lambda r: (r.submitted_at, r.registration_id))

    def list_by_status(self, edition_id: str, status: str, limit: int,
                       token: str | None) -> tuple[list[Registration], str | None]:
        queue = self._queue(edition_id, status)
        start = int((decode_token(token) or {}).get("i", 0))
        page = queue[start:start + limit]
        more = start + limit < len(queue)
        return page, encode_token({"i": start + limit}) if more else None

    def first_by_status(self, edition_id: str, status: str, limit: int) -> list[Registration]:
        return self._queue(edition_id, status)[:limit]

    def all_by_status(self, edition_id: str, status: str) -> list[Registration]:
        return self._queue(edition_id, status)

    def count_by_status(self, edition_id: str, status: str) -> int:
        return len(self._queue(edition_id, status))

    def list_by_unit(self, edition_id: str, unit_norm: str) -> list[Registration]:
        return [r for r in self._all() if r.edition_unit == f"{edition_id}#{unit_norm}"]

    def find_by_email(self, edition_id: str, email: str) -> list[Registration]:
        return [r for r in self._all() if r.edition_email == f"{edition_id}#{email}"]

    def list_linked(self, edition_id: str, unit_id: str) -> list[Registration]:
        return sorted((r for r in self._all()
                       if r.edition_linked_unit == f"{edition_id}#{unit_id}"),
                      key=lambda r: r.submitted_at)

    # --- writes --------------------------------------------------------------------------
    def create(self, reg: Registration, actor: str, now: datetime) -> bool:
        key = (reg.edition_id, reg.user_sub)
        if key in self.live or reg.registration_id in self.items:
            return False
        reg.edition_status = f"{reg.edition_id}#{reg.status}"
        self._store(reg)
        self.live[key] = reg.registration_id
        self._audit(reg, "registration.submitted", actor, {"tier": reg.tier, "fee_fen": reg.fee_fen})
        return True

    def approve(self, reg: Registration, actor: str, now: datetime, mail: Any = None) -> bool:
        ok = self._move(reg, RegistrationStatus.APPROVED, actor, "registration.approved",
                        {"reviewed_at": now, "reviewed_by": actor})
        if ok and mail is not None:  # the outbox item, recorded with the move
            self.mails[mail.mail_id] = mail
        if ok:  # like the real one: `reg` holds what was written
            reg.status = RegistrationStatus.APPROVED.value
            reg.edition_status = f"{reg.edition_id}#{reg.status}"
            reg.version = (reg.version or 0) + 1
            reg.reviewed_at, reg.reviewed_by = now, actor
        return ok

    def reject(self, reg: Registration, reason: str, actor: str, now: datetime) -> bool:
        return self._move(reg, RegistrationStatus.REJECTED, actor, "registration.rejected",
                          {"reviewed_at": now, "reviewed_by": actor, "reject_reason": reason},
                          data={"reason": reason}, release_live=True)

    def withdraw(self, reg: Registration, actor: str, now: datetime) -> bool:
        current = self._load(reg.registration_id)
        if current is None or current.payment_status != PaymentStatus.UNPAID.value \
                or current.open_order_id:
            return False
        return self._move(reg, RegistrationStatus.WITHDRAWN, actor, "registration.withdrawn",
                          {"withdrawn_at": now}, release_live=True)

    def link_unit(self, reg: Registration, unit_id: str, actor: str, now: datetime) -> bool:
        current = self._load(reg.registration_id)
        if current is None or current.status not in LIVE or current.unit_id:
            return False
        current.unit_id, current.unit_linked_at = unit_id, now
        current.edition_linked_unit = f"{current.edition_id}#{unit_id}"
        current.version = (current.version or 0) + 1
        self._store(current)
        self._audit(current, "registration.unit_linked", actor, {"unit_id": unit_id})
        return True

    def unlink_unit(self, reg: Registration, actor: str, now: datetime) -> bool:
        current = self._load(reg.registration_id)
        if current is None or current.unit_id != reg.unit_id \
                or (current.open_order_id or None) != (reg.open_order_id or None):
            return False
        current.unit_id = current.unit_linked_at = current.edition_linked_unit = None
        current.version = (current.version or 0) + 1
        self._store(current)
        self._audit(current, "registration.unit_unlinked", actor, {"unit_id": reg.unit_id})
        return True

    def scrub_person(self, user_sub: str, regs: list[Registration], name: str, phone: str,
                     email: str) -> int:
        for reg in regs:
            current = self._load(reg.registration_id)
            assert current is not None and current.user_sub == user_sub  # the real condition
            current.name, current.phone, current.email = name, phone, email
            current.edition_email = f"{current.edition_id}#{email}"
            self._store(current)
        return len(regs)

    def _move(self, reg: Registration, new: RegistrationStatus, actor: str, action: str,
              fields: dict[str, Any], data: dict[str, Any] | None = None,
              release_live: bool = False) -> bool:
        current = self._load(reg.registration_id)
        if current is None or current.status not in STATUS.sources(new):
            return False
        current.status = new.value
        current.edition_status = f"{current.edition_id}#{new.value}"
        current.version = (current.version or 0) + 1
        for name, value in fields.items():
            setattr(current, name, value)
        self._store(current)
        key = (current.edition_id, current.user_sub)
        if release_live and self.live.get(key) == current.registration_id:
            del self.live[key]
        self._audit(current, action, actor, data)
        return True

    # --- what billing does to a registration (registration.transitions), for the tests ---
    def hold(self, registration_id: str, order_id: str) -> None:
        current = self._load(registration_id)
        assert current is not None
        current.open_order_id = order_id
        self._store(current)

    def pay(self, registration_id: str, order_id: str, now: datetime) -> None:
        current = self._load(registration_id)
        assert current is not None
        current.payment_status = PaymentStatus.PAID.value
        current.paid_order_id, current.paid_at, current.open_order_id = order_id, now, None
        self._store(current)


def install(monkeypatch: Any) -> InMemoryRegistrationRepository:
    """Put the twin where registration's service, jobs and queries look for their repository."""
    from chalicelib.registration import jobs, queries, service
    repo = InMemoryRegistrationRepository()
    monkeypatch.setattr(service, "repo", repo)
    monkeypatch.setattr(jobs, "repo", repo)
    monkeypatch.setattr(queries, "_repo", repo)

    def send_recorded(deps: Any, mail: Any, now: datetime) -> bool:
        """The mail a move recorded, handed to the fake outbox the service uses (`service.mail`,
        a FakeOutbox in the unit worlds): sent at most once per mail id."""
        assert mail.mail_id in repo.mails, mail.mail_id
        fake = service.mail
        if mail.mail_id in fake.sent:
            return False
        fake.sent[mail.mail_id] = (mail.to_addr, mail.template, mail.body)
        return True
    monkeypatch.setattr(service, "send_recorded", send_recorded)
    return repo
