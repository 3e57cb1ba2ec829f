"""Unit verification's rules without AWS: the unit-repository twin, a fake object store,
fake accounts and the fake outbox (tests/identity/test_units.py runs the same on moto)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.identity import units
from chalicelib.identity.errors import AccountNotFoundError
from chalicelib.identity.unit_errors import LetterInvalidError, LetterMissingError, UnitAccountRequiredError, UnitNotVerifiedError, UnitStateError
from chalicelib.platform.clock import parse_instant
from chalicelib.platform.errors import ValidationError
from tests.fakes import FakeOutbox
from tests.identity.unit_memory import InMemoryUnitRepository

NOW = parse_instant("2026-04-05T10:00:00+08:00")


@dataclass
class Account:
    user_sub: str
    email: str
    kind: str
    unit_name: str | None
    credit_code: str | None
    created_at: datetime = NOW


class FakeStorage:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.posts: list[tuple[str, str, list[str], int]] = []

    def presigned_post(self, base: str, key: str, types: list[str], max_bytes: int, ttl: int,
                       now: datetime) -> dict[str, Any]:
        self.posts.append((base, key, types, max_bytes))
        return {"url": "https://s3/", "fields": {"Content-Type": types[0]}, "key": key,
                "allowed_types": types, "max_bytes": max_bytes, "expires_at": now + timedelta(seconds=ttl)}

    def exists(self, base: str, key: str) -> bool:
        return key in self.objects

    def get_object(self, base: str, key: str) -> bytes:
        return self.objects[key]

    def presigned_get(self, base: str, key: str, ttl: int, now: datetime, **kw: Any) -> dict[str, Any]:
        return {"url": f"https://s3/{key}", "expires_at": now + timedelta(seconds=ttl)}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Any:
    repo, store, outbox = InMemoryUnitRepository(), FakeStorage(), FakeOutbox()
    people = {
        "U1": Account("U1", "u1@example.com", "unit", "国 家 图 书 馆", "12100000400010398P"),
        "P1": Account("P1", "p1@example.com", "personal", None, None),
    }

    def get_account(sub: str) -> Account:
        if sub not in people:
            raise AccountNotFoundError()
        return people[sub]

    monkeypatch.setattr(units, "repo", repo)
    monkeypatch.setattr(units, "storage", lambda deps: store)
    monkeypatch.setattr(units, "get_account", get_account)
    monkeypatch.setattr(units.mail, "queue_mail", outbox.queue_mail)
    hits: dict[tuple[str, str], int] = {}

    def hit(limit: Any, subject: str, now: datetime) -> None:  # the counter, in memory
        from chalicelib.platform.store.throttle import TooManyAttemptsError
        hits[(limit.name, subject)] = hits.get((limit.name, subject), 0) + 1
        if hits[(limit.name, subject)] > limit.limit:
            raise TooManyAttemptsError(60)

    monkeypatch.setattr(units.throttle, "hit", hit)
    return type("World", (), {"repo": repo, "store": store, "outbox": outbox, "deps": object()})


def _letter(world: Any, data: bytes, ctype: str = "application/pdf") -> str:
    post = units.presign_letter(world.deps, "U1", ctype, len(data), NOW)
    world.store.objects[post["key"]] = data
    return str(post["key"])


def test_a_unit_account_starts_pending_and_a_person_is_no_unit(world: Any) -> None:
    mine = units.my_unit(world.deps, "U1", NOW)
    assert (mine["status"], mine["letter_uploaded"]) == ("pending", False)
    with pytest.raises(UnitAccountRequiredError):
        units.my_unit(world.deps, "P1", NOW)
    with pytest.raises(UnitNotVerifiedError):
        units.require_verified("U1", NOW)
    assert units.verified_unit("U1") is None


def test_the_letter_form_pins_type_size_and_place(world: Any) -> None:
    for ctype, size in (("text/html", 10), ("application/pdf", 0), ("image/png", 10 * 1024 * 1024 + 1)):
        with pytest.raises(ValidationError):
            units.presign_letter(world.deps, "U1", ctype, size, NOW)
    key = _letter(world, b"%PDF-1.7 ...")
    base, _, types, max_bytes = world.store.posts[-1]
    assert (base, types, max_bytes) == ("vouchers", ["application/pdf"], 10 * 1024 * 1024)
    assert key.startswith("unit-letters/U1/") and key.endswith(".pdf")


def test_approval_needs_a_letter_that_is_what_it_claims(world: Any) -> None:
    units.my_unit(world.deps, "U1", NOW)
    with pytest.raises(LetterMissingError):
        units.approve(world.deps, "U1", "admin", NOW)
    _letter(world, b"\x89PNG\r\n\x1a\n....", "application/pdf")  # a PNG said to be a PDF
    with pytest.raises(LetterInvalidError):
        units.approve(world.deps, "U1", "admin", NOW)
    _letter(world, b"\xff\xd8\xff\xe0 JFIF", "image/jpeg")
    out = units.approve(world.deps, "U1", "admin", NOW)
    assert out["status"] == "verified" and out["letter"]["url"].startswith("https://s3/unit-letters/U1/")
    assert units.approve(world.deps, "U1", "admin", NOW)["status"] == "verified"  # a repeat
    assert world.outbox.to("u1@example.com", "unit.verified")
    assert units.require_verified("U1", NOW).unit_id == "U1"
    found = units.verified_units_named("国家 图书馆")["units"]
    assert [u["unit_id"] for u in found] == ["U1"]
    with pytest.raises(UnitStateError):
        units.reject(world.deps, "U1", "晚了", "admin", NOW)


def test_a_rejected_unit_reads_why_and_resubmits(world: Any) -> None:
    _letter(world, b"%PDF-1.4")
    units.reject(world.deps, "U1", "授权书未加盖公章", "finance", NOW)
    mine = units.my_unit(world.deps, "U1", NOW)
    assert (mine["status"], mine["reject_reason"]) == ("rejected", "授权书未加盖公章")
    assert "授权书未加盖公章" in world.outbox.to("u1@example.com", "unit.rejected")[0]
    with pytest.raises(UnitStateError):
        units.approve(world.deps, "U1", "admin", NOW)
    _letter(world, b"%PDF-1.4")
    assert units.my_unit(world.deps, "U1", NOW)["status"] == "pending"
    assert units.approve(world.deps, "U1", "admin", NOW)["status"] == "verified"


def test_invitations_answer_alike_and_only_from_a_verified_unit(world: Any) -> None:
    with pytest.raises(UnitNotVerifiedError):
        units.invite(world.deps, "U1", ["li@example.com"], NOW)
    _letter(world, b"%PDF-1.4")
    units.approve(world.deps, "U1", "admin", NOW)
    a = units.invite(world.deps, "U1", ["Li@Example.com", "li@example.com"], NOW)
    b = units.invite(world.deps, "U1", ["nobody@example.com"], NOW)
    assert a == b == {"status": "sent", "invited": 1}
    assert len(world.outbox.to("li@example.com", "unit.invitation")) == 1
    units.invite(world.deps, "U1", ["li@example.com"], NOW)  # again: no second mail
    assert len(world.outbox.to("li@example.com", "unit.invitation")) == 1
    assert [i["unit_id"] for i in units.invitations_for("LI@example.com")] == ["U1"]
    with pytest.raises(ValidationError):
        units.invite(world.deps, "U1", [f"p{n}@example.com" for n in range(51)], NOW)
    # 20 batches an hour: the 20th goes, the 21st is 429
    from chalicelib.platform.store.throttle import TooManyAttemptsError
    for n in range(20 - 3):  # three batches were sent above
        units.invite(world.deps, "U1", [f"q{n}@example.com"], NOW)
    with pytest.raises(TooManyAttemptsError):
        units.invite(world.deps, "U1", ["late@example.com"], NOW)
    assert not world.outbox.to("late@example.com")


def test_staff_open_an_unknown_or_personal_account_as_missing(world: Any) -> None:
    from chalicelib.identity.unit_errors import UnitNotFoundError
    for who in ("nobody", "P1"):
        with pytest.raises(UnitNotFoundError):
            units.approve(world.deps, who, "admin", NOW)
