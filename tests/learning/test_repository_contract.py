"""The learning twins keep the real repositories' promises: the same calls give the same
answers against DynamoDB (moto) and against dicts (tests/learning/memory.py), so the fast
tests of enrolment, heartbeats and the questionnaire stand on production's conditions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Callable

import pytest

from chalicelib.learning.repository import Progress, ProgressRepository, QuestionnaireRepository, QuestionnaireResponse
from chalicelib.learning.rules import ProgressState
from chalicelib.registration.repository import Registration
from tests.learning.memory import InMemoryProgressRepository, InMemoryQuestionnaireRepository, InMemoryRegistrations

T0 = datetime(2026, 4, 13, 1, 0, tzinfo=UTC)
MS0 = int(T0.timestamp() * 1000)


@dataclass
class World:
    progress: Any
    responses: Any
    add_registration: Callable[[Registration], None]


@pytest.fixture(params=["memory", "dynamodb"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "memory":
        regs = InMemoryRegistrations()
        return World(InMemoryProgressRepository(regs), InMemoryQuestionnaireRepository(regs), regs.add)
    request.getfixturevalue("deps")  # fresh tables on the embedded AWS
    return World(ProgressRepository(), QuestionnaireRepository(), lambda reg: reg.save())


def registration(rid: str, paid: bool = True) -> Registration:
    return Registration(registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}", name="李玥",
                        unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
                        email=f"{rid.lower()}@example.com", status="approved",
                        payment_status="paid" if paid else "unpaid", tier="non_member",
                        fee_fen=49000, submitted_at=T0, edition_unit="2026#国家图书馆",
                        edition_email=f"2026#{rid.lower()}@example.com", edition_status="2026#approved",
                        version=1)


def items(rid: str, courses: tuple[str, ...] = ("C01", "C02")) -> list[Progress]:
    return [Progress(learner=f"2026#sub-{rid}", course_id=c, edition_id="2026", user_sub=f"sub-{rid}",
                     registration_id=rid, last_at_ms=MS0, high_water_s=0, credited_s=0,
                     required_s=4860, enrolled_at=T0) for c in courses]


def response(rid: str, minute: int = 0) -> QuestionnaireResponse:
    return QuestionnaireResponse(registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}",
                                 name="李玥", unit_name="国家图书馆", email=f"{rid.lower()}@example.com",
                                 answers={"q1": 5}, submitted_at=T0 + timedelta(minutes=minute))


def test_enrolment_needs_an_approved_paid_registration_and_happens_once(world: World) -> None:
    world.add_registration(registration("R1", paid=False))
    world.add_registration(registration("R2"))
    assert not world.progress.enrol("R1", items("R1"), "sub-R1", T0)
    assert world.progress.list("2026#sub-R1") == []
    assert world.progress.enrol("R2", items("R2"), "sub-R2", T0)
    assert [p.course_id for p in world.progress.list("2026#sub-R2")] == ["C01", "C02"]
    assert not world.progress.enrol("R2", items("R2"), "sub-R2", T0)  # already enrolled


def test_a_credit_needs_the_state_it_saw_and_the_current_session(world: World) -> None:
    world.add_registration(registration("R1"))
    world.progress.enrol("R1", items("R1"), "sub-R1", T0)
    learner = "2026#sub-R1"
    assert world.progress.open_session(learner, ["C01", "C02"], "S1", MS0)
    seen = world.progress.get(learner, "C01").state()
    new = ProgressState(MS0 + 30_000, 30, 30, 30, ((0, 30),))
    assert world.progress.credit(learner, "C01", seen, new, "S0", T0, False) is None  # old session
    stored = world.progress.credit(learner, "C01", seen, new, "S1", T0, False)
    assert stored is not None and (stored.credited_s, stored.watched) == (30, "0-30")
    again = ProgressState(MS0 + 60_000, 60, 60, 60, ((0, 60),))
    assert world.progress.credit(learner, "C01", seen, again, "S1", T0, False) is None  # stale seen
    assert world.progress.open_session(learner, ["C01", "C02"], "S2", MS0 + 90_000)
    now_seen = world.progress.get(learner, "C01").state()
    assert world.progress.credit(learner, "C01", now_seen, again, "S1", T0, False) is None  # superseded
    assert world.progress.get(learner, "C01").credited_s == 30
    assert not world.progress.open_session(learner, ["C01", "C99"], "S3", MS0)  # no such item


def test_one_questionnaire_response_per_paid_registration_in_submission_order(world: World) -> None:
    world.add_registration(registration("R1", paid=False))
    for rid in ("R2", "R3", "R4"):
        world.add_registration(registration(rid))
    assert not world.responses.submit(response("R1"), "sub-R1", T0)
    assert world.responses.get("R1") is None
    for minute, rid in enumerate(("R3", "R2", "R4")):
        assert world.responses.submit(response(rid, minute), f"sub-{rid}", T0)
    assert not world.responses.submit(response("R2", 9), "sub-R2", T0)  # one each
    assert [r.registration_id for r in world.responses.all_of_edition("2026")] == ["R3", "R2", "R4"]
    first, token = world.responses.page("2026", 2, None)
    rest, _ = world.responses.page("2026", 2, token)
    assert [r.registration_id for r in first + rest] == ["R3", "R2", "R4"]
