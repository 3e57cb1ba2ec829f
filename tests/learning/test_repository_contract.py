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
    assert world.progress.open_session(learner, "C01", "S1", MS0, {})
    seen = world.progress.get(learner, "C01").state()
    new = ProgressState(MS0 + 30_000, 30, 30, 30, ((0, 30),))
    assert world.progress.credit(learner, "C01", seen, new, "S0", T0, False) is None  # old session
    stored = world.progress.credit(learner, "C01", seen, new, "S1", T0, False)
    assert stored is not None and (stored.credited_s, stored.watched) == (30, "0-30")
    again = ProgressState(MS0 + 60_000, 60, 60, 60, ((0, 60),))
    assert world.progress.credit(learner, "C01", seen, again, "S1", T0, False) is None  # stale seen
    assert world.progress.open_session(learner, "C01", "S2", MS0 + 90_000, {"C01": "S1"})
    now_seen = world.progress.get(learner, "C01").state()
    assert world.progress.credit(learner, "C01", now_seen, again, "S1", T0, False) is None  # superseded
    assert world.progress.get(learner, "C01").credited_s == 30
    assert not world.progress.open_session(learner, "C99", "S3", MS0, {"C01": "S2"})  # no item


def test_a_play_session_lives_on_one_item_and_moves_only_from_what_was_seen(world: World) -> None:
    """The stamp is on the played course only; a play of another course takes it off the
    item that held it, and only if that item still holds what the play saw; two first
    plays (nothing seen) cannot both win: the per-trainee session item is created once."""
    world.add_registration(registration("R1"))
    world.progress.enrol("R1", items("R1", ("C01", "C02", "C03")), "sub-R1", T0)
    learner = "2026#sub-R1"

    def stamps() -> dict[str, str | None]:
        return {p.course_id: p.session_id for p in world.progress.list(learner)}
    assert world.progress.open_session(learner, "C01", "S1#C01", MS0, {})
    assert not world.progress.open_session(learner, "C02", "S2#C02", MS0, {})  # lost the race
    assert stamps() == {"C01": "S1#C01", "C02": None, "C03": None}
    assert world.progress.get(learner, "C01").last_at_ms == MS0
    assert not world.progress.open_session(learner, "C02", "S2#C02", MS0, {"C01": "S0#C01"})
    assert world.progress.open_session(learner, "C02", "S2#C02", MS0 + 5, {"C01": "S1#C01"})
    assert stamps() == {"C01": None, "C02": "S2#C02", "C03": None}
    assert world.progress.get(learner, "C02").last_at_ms == MS0 + 5
    # a play of the course that holds the session: that item alone
    assert world.progress.open_session(learner, "C02", "S3#C02", MS0, {"C02": "S2#C02"})
    assert stamps() == {"C01": None, "C02": "S3#C02", "C03": None}


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


# --- course media (issue 13) -------------------------------------------------------------
@pytest.fixture(params=["memory", "dynamodb"])
def media_world(request: pytest.FixtureRequest) -> tuple[Any, Any, Callable[[Registration], None]]:
    from chalicelib.learning.repository import MediaRepository
    from tests.learning.memory import InMemoryMediaRepository
    if request.param == "memory":
        regs = InMemoryRegistrations()
        progress = InMemoryProgressRepository(regs)
        return InMemoryMediaRepository(progress), progress, regs.add
    request.getfixturevalue("deps")
    return MediaRepository(), ProgressRepository(), lambda reg: reg.save()


def claimed(repo: Any, key_hex: str, now: datetime = T0, stale_before: datetime = T0) -> Any:
    """Claim the pending upload as a packaging does; the item as that packaging holds it."""
    seen = repo.get("2026", "C01")
    prefix = f"2026/C01/hls/{seen.pending_version}{key_hex[:4]}/"
    if not repo.claim(seen, key_hex, prefix, now, stale_before):
        return None
    seen.pending_key_hex, seen.pending_prefix, seen.claimed_at = key_hex, prefix, now
    return seen


def test_media_moves_only_from_the_pending_version_it_saw(media_world: Any) -> None:
    from chalicelib.learning import media as media_service
    repo, _progress, _add = media_world
    assert repo.get("2026", "C01") is None
    repo.queue("2026", "C01", "uploads/2026/C01/V1.mp4", "V1", "admin", T0)
    seen = repo.get("2026", "C01")
    assert media_service.status_of(seen) == "queued"
    first = claimed(repo, "00" * 16)
    assert first is not None and media_service.status_of(repo.get("2026", "C01")) == "packaging"
    # one packaging at a time: a second run cannot claim it while the claim is fresh
    assert claimed(repo, "33" * 16, T0 + timedelta(minutes=1), stale_before=T0) is None
    # ... but takes over a claim older than the stale bound (its packager died)
    second = claimed(repo, "44" * 16, T0 + timedelta(hours=1), stale_before=T0 + timedelta(minutes=30))
    assert second is not None
    assert not repo.publish(first, first.pending_prefix, "index.m3u8", 6, "system", T0)  # lost it
    assert not repo.failed(first, "late", T0)
    # a newer upload replaces the pending one: the older claimant can neither record nor publish
    repo.queue("2026", "C01", "uploads/2026/C01/V2.mp4", "V2", "admin", T0)
    assert not repo.job_submitted(second, "job-1", T0)
    assert not repo.publish(second, second.pending_prefix, "index.m3u8", 6, "system", T0)
    newer = repo.get("2026", "C01")
    assert newer.pending_key_hex is None and newer.pending_prefix is None  # queue cleared the claim
    third = claimed(repo, "22" * 16)
    assert repo.job_submitted(third, "job-2", T0)
    assert repo.get("2026", "C01").pending_job == "job-2"
    assert repo.publish(third, third.pending_prefix, "index.m3u8", 6, "system", T0)
    done = repo.get("2026", "C01")
    assert (done.hls_prefix, done.key_hex, int(done.duration_s)) == (third.pending_prefix, "22" * 16, 6)
    assert done.pending_version is None and done.pending_prefix is None
    assert media_service.status_of(done) == "ready"
    assert not repo.publish(third, third.pending_prefix, "index.m3u8", 6, "system", T0)  # once
    # a failure drops the pending upload, keeps the playable version and the reason
    repo.queue("2026", "C01", "uploads/2026/C01/V3.mp4", "V3", "admin", T0)
    fourth = claimed(repo, "55" * 16)
    assert repo.failed(fourth, "无法读取视频时长", T0)
    after = repo.get("2026", "C01")
    assert after.hls_prefix == third.pending_prefix and after.error == "无法读取视频时长"
    assert after.pending_version is None
    assert not repo.failed(fourth, "again", T0)
    assert [m.course_id for m in repo.of_edition("2026")] == ["C01"]


def test_the_session_and_the_media_are_read_together(media_world: Any) -> None:
    repo, progress, add = media_world
    add(registration("R1"))
    progress.enrol("R1", items("R1"), "sub-R1", T0)
    progress.open_session("2026#sub-R1", "C01", "S1#C01", MS0, {})
    p, m = repo.session_and_media("2026#sub-R1", "2026", "C01")
    assert p is not None and p.session_id == "S1#C01" and m is None
    repo.queue("2026", "C01", "uploads/2026/C01/V1.mp4", "V1", "admin", T0)
    p, m = repo.session_and_media("2026#sub-R1", "2026", "C01")
    assert m is not None and m.pending_version == "V1"
    assert repo.session_and_media("2026#sub-R9", "2026", "C01")[0] is None


def test_a_refused_response_says_whether_one_exists_without_a_read(world: World) -> None:
    """submit_once tells a second response ("duplicate", from the transaction's
    cancellation reason) from a registration no longer paid ("refused")."""
    world.add_registration(registration("R1", paid=False))
    world.add_registration(registration("R2"))
    assert world.responses.submit_once(response("R1"), "sub-R1", T0) == "refused"
    assert world.responses.submit_once(response("R2"), "sub-R2", T0) == "submitted"
    assert world.responses.submit_once(response("R2", 5), "sub-R2", T0) == "duplicate"
    assert world.responses.get("R2").submitted_at == T0
