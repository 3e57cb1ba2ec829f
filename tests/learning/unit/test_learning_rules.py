"""Learning's service rules on the in-memory twins: enrolment needs an approved, paid
registration inside the learning window; heartbeats credit real time once, with one
conditional write per steady-state report; the questionnaire only after every course is
学习完, once, inside its window."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.learning import questionnaire, service as learning
from chalicelib.learning.repository import learner_key
from chalicelib.learning.rules import MAX_CREDIT_S
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, WindowClosedError
from tests.conftest import at
from tests.learning.unit.conftest import World

OPENS = at("2026-04-13T00:00:00+08:00")
CLOSES = at("2026-06-13T00:00:00+08:00")
SECOND = timedelta(seconds=1)
QUESTIONNAIRE_OPENS = at("2026-04-20T00:00:00+08:00")


def enrolled(world: World, name: str = "李玥") -> Any:
    t = world.trainee(name)
    learning.enroll(world.deps, t.user_sub, OPENS)
    return t


# --- enrolment --------------------------------------------------------------------------
@pytest.mark.parametrize("status,payment,code", [
    ("approved", "unpaid", "NOT_PAID"),
    ("approved", "refunding", "NOT_PAID"),
    ("approved", "refunded", "REFUNDED"),
    ("pending", "unpaid", "NOT_APPROVED"),
])
def test_enrolment_needs_approved_and_paid(world: World, status: str, payment: str,
                                           code: str) -> None:
    t = world.trainee(status=status, payment_status=payment)
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(world.deps, t.user_sub, OPENS)
    assert err.value.code == code and world.progress.items == {}


def test_no_registration_cannot_enrol(world: World) -> None:
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(world.deps, "nobody", OPENS)
    assert err.value.code == "NOT_REGISTERED" and err.value.message == "您尚未报名本届培训"


def test_enrolment_inside_the_learning_window_only(world: World) -> None:
    t = world.trainee()
    with pytest.raises(WindowClosedError) as err:
        learning.enroll(world.deps, t.user_sub, OPENS - SECOND)
    assert err.value.code == "WINDOW_NOT_OPEN"
    with pytest.raises(WindowClosedError) as err:
        learning.enroll(world.deps, t.user_sub, CLOSES)
    assert err.value.code == "WINDOW_CLOSED"
    out = learning.enroll(world.deps, t.user_sub, CLOSES - SECOND)
    assert out["enrolled"] is True and len(out["courses"]) == 10


def test_enrolment_creates_every_course_once_and_repeats_harmlessly(world: World) -> None:
    t = world.trainee()
    first = learning.enroll(world.deps, t.user_sub, OPENS)
    again = learning.enroll(world.deps, t.user_sub, OPENS + timedelta(days=1))
    assert first["enrolled_at"] == again["enrolled_at"] == "2026-04-13T00:00:00+08:00"
    assert len(world.progress.items) == 10
    assert [a for _e, a, _who in world.progress.audit] == ["learning.enrolled"]
    reg = world.registrations.get_registration(t.registration_id)
    assert reg is not None and reg.enrolled_at == OPENS


def test_a_refund_racing_the_enrolment_is_named(world: World, monkeypatch: Any) -> None:
    """The registration is refunded between the read and the write: the write's condition
    fails, nothing is created, and the trainee is told why."""
    t = world.trainee()
    real = world.progress.enrol

    def refunded_meanwhile(*args: Any) -> bool:
        world.registrations.update(t.registration_id, payment_status="refunded")
        return real(*args)
    monkeypatch.setattr(world.progress, "enrol", refunded_meanwhile)
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(world.deps, t.user_sub, OPENS)
    assert err.value.code == "REFUNDED" and world.progress.items == {}


def test_catalogue_before_enrolment_and_unknown_course(world: World) -> None:
    t = world.trainee()
    out = learning.list_courses(world.deps, t.user_sub, OPENS - SECOND)
    assert out["enrolled"] is False and out["learning_open"] is False
    assert out["all_completed"] is False and out["courses"][0]["token"] is None
    with pytest.raises(ConflictError) as err:
        learning.play(world.deps, t.user_sub, "C01", OPENS)
    assert err.value.code == "NOT_ENROLLED"
    with pytest.raises(NotFoundError) as nf:
        learning.play(world.deps, t.user_sub, "C99", OPENS)
    assert nf.value.code == "COURSE_NOT_FOUND"


# --- heartbeats -------------------------------------------------------------------------
def test_heartbeats_credit_real_time_with_one_write_each(world: World) -> None:
    t = enrolled(world)
    link = learning.play(world.deps, t.user_sub, "C01", OPENS)
    token, now = link["token"], OPENS
    world.progress.calls.clear()
    for i in range(1, 4):
        now += timedelta(seconds=30)
        out = learning.heartbeat(world.deps, t.user_sub, "C01", 30.0 * i, token, now,
                                 session_id=link["session_id"])
        assert out["accepted"] is True and out["credit_s"] == 30
        token = out["token"]
    assert out["credited_s"] == 90
    assert world.progress.calls == ["UpdateItem"] * 3  # no read: the token carries the state


def test_a_jump_ahead_is_capped_and_a_repeat_credits_nothing(world: World) -> None:
    t = enrolled(world)
    link = learning.play(world.deps, t.user_sub, "C01", OPENS)
    sid = link["session_id"]
    out = learning.heartbeat(world.deps, t.user_sub, "C01", 900, link["token"],
                             OPENS + timedelta(minutes=10), session_id=sid)
    assert out["credit_s"] == MAX_CREDIT_S and out["position_s"] == 900
    world.progress.calls.clear()
    again = learning.heartbeat(world.deps, t.user_sub, "C01", 900, out["token"],
                               OPENS + timedelta(minutes=11), session_id=sid)
    assert again["accepted"] is False and again["credited_s"] == MAX_CREDIT_S
    # nothing to credit: nothing written (one read tells a superseded session)
    assert world.progress.calls == ["GetItem"]


def test_a_stale_token_is_read_and_retried_once(world: World) -> None:
    t = enrolled(world)
    link = learning.play(world.deps, t.user_sub, "C01", OPENS)
    token, sid = link["token"], link["session_id"]
    learning.heartbeat(world.deps, t.user_sub, "C01", 30, token, OPENS + timedelta(seconds=30),
                       session_id=sid)
    world.progress.calls.clear()
    out = learning.heartbeat(world.deps, t.user_sub, "C01", 60, token,  # the old token
                             OPENS + timedelta(seconds=60), session_id=sid)
    assert out["accepted"] is True and out["credited_s"] == 60
    assert world.progress.calls == ["UpdateItem", "GetItem", "UpdateItem"]


def test_completion_at_the_threshold_is_recorded_once(world: World) -> None:
    t = enrolled(world)
    course = world.edition.course("C01")
    assert course is not None
    required = world.edition.required_seconds(course)
    key = (learner_key("2026", t.user_sub), "C01")
    item = world.progress._load(key)
    assert item is not None
    sid = learning.play(world.deps, t.user_sub, "C01", OPENS)["session_id"]
    item = world.progress._load(key)
    assert item is not None
    item.credited_s = item.high_water_s = item.cursor_s = required - 10
    item.watched = f"0-{required - 10}"
    world.progress.items[key] = item.serialize()
    now = OPENS + timedelta(seconds=30)
    out = learning.heartbeat(world.deps, t.user_sub, "C01", required - 1, None, now,
                             session_id=sid)
    assert out["completed"] is False and out["credited_s"] == required - 1
    out = learning.heartbeat(world.deps, t.user_sub, "C01", required, out["token"],
                             now + timedelta(seconds=30), session_id=sid)
    assert out["completed"] is True
    done = world.progress._load(key)
    assert done is not None and done.completed_at == now + timedelta(seconds=30)


def test_heartbeats_outside_the_window_or_unenrolled_are_refused(world: World) -> None:
    t = enrolled(world)
    with pytest.raises(WindowClosedError):
        learning.heartbeat(world.deps, t.user_sub, "C01", 30, None, CLOSES, session_id="S1")
    other = world.trainee("王芳")
    with pytest.raises(ConflictError) as err:
        learning.heartbeat(world.deps, other.user_sub, "C01", 30, None, OPENS, session_id="S1")
    assert err.value.code == "NOT_ENROLLED"


# --- questionnaire ----------------------------------------------------------------------
def test_questionnaire_only_after_every_course_is_completed(world: World) -> None:
    t = enrolled(world)
    world.complete(t, except_ids=("C10",))
    view = questionnaire.get_questionnaire(world.deps, t.user_sub, QUESTIONNAIRE_OPENS)
    assert view["can_submit"] is False and view["unmet"] == ["courses_incomplete"]
    with pytest.raises(ForbiddenError) as err:
        questionnaire.submit(world.deps, t.user_sub, world.answers(), QUESTIONNAIRE_OPENS)
    assert err.value.code == "COURSES_INCOMPLETE" and err.value.details["remaining"] == 1
    assert err.value.message == "还有 1 门课程未学习完，全部学习完后才能填写问卷"
    world.complete(t)
    out = questionnaire.submit(world.deps, t.user_sub, world.answers(), QUESTIONNAIRE_OPENS)
    assert out["submitted"] is True and out["registration_id"] == t.registration_id
    view = questionnaire.get_questionnaire(world.deps, t.user_sub, QUESTIONNAIRE_OPENS)
    assert view["submitted"] is True and view["can_submit"] is False and view["unmet"] == []


def test_questionnaire_once_inside_its_window_with_valid_answers(world: World) -> None:
    t = enrolled(world)
    world.complete(t)
    with pytest.raises(WindowClosedError) as closed:
        questionnaire.submit(world.deps, t.user_sub, world.answers(), QUESTIONNAIRE_OPENS - SECOND)
    assert closed.value.code == "WINDOW_NOT_OPEN"
    with pytest.raises(ValidationError) as bad:
        questionnaire.submit(world.deps, t.user_sub, {**world.answers(), "overall": 6},
                             QUESTIONNAIRE_OPENS)
    assert bad.value.details["field"] == "answers.overall"
    questionnaire.submit(world.deps, t.user_sub, world.answers(), CLOSES - SECOND)
    with pytest.raises(ConflictError) as twice:
        questionnaire.submit(world.deps, t.user_sub, world.answers(), CLOSES - SECOND)
    assert twice.value.code == "QUESTIONNAIRE_ALREADY_SUBMITTED"
    assert len(world.responses.items) == 1


def test_eligibility_names_what_is_missing_in_order(world: World) -> None:
    t = enrolled(world)
    assert questionnaire.certificate_eligibility(world.edition, t.user_sub).unmet == \
        ["courses_incomplete", "questionnaire_missing"]
    world.complete(t)
    assert questionnaire.certificate_eligibility(world.edition, t.user_sub).unmet == \
        ["questionnaire_missing"]
    questionnaire.submit(world.deps, t.user_sub, world.answers(), QUESTIONNAIRE_OPENS)
    found = questionnaire.certificate_eligibility(world.edition, t.user_sub)
    assert found.unmet == [] and found.response is not None
    assert found.response.certificate_no is None
    world.registrations.update(t.registration_id, payment_status="refunded")
    assert questionnaire.certificate_eligibility(world.edition, t.user_sub).unmet == ["refunded"]
