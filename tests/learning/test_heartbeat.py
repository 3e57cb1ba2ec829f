"""Enrolment and honest progress: the heartbeat credits at most the real time that passed,
never the same stretch twice, and uses one conditional DynamoDB update."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib.learning.rules import MAX_CREDIT_S
from chalicelib.platform.errors import ConflictError, ForbiddenError, WindowClosedError
from chalicelib.learning import service as learning
from tests.conftest import at
from tests.learning.conftest import LEARNING_CLOSES, LEARNING_OPEN, make_registration, set_payment
from tests.wire import dynamodb_requests

C = "C01"


def cached(deps: Any) -> Any:
    """The deps as in prod, where the edition is cached in-process (the hot path)."""
    return dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"))


def session(deps: Any, clock: Any, t: Any) -> str:
    """The trainee's play session (opened on first use, as the player does before it reports)."""
    if getattr(t, "session_id", None) is None:
        t.session_id = learning.play(deps, t.user_sub, C, clock.now())["session_id"]
    return str(t.session_id)


def beat(deps: Any, clock: Any, t: Any, position: float, token: str | None,
         advance_s: float = 30) -> dict[str, Any]:
    sid = session(deps, clock, t)
    clock.advance(seconds=advance_s)
    return learning.heartbeat(deps, t.user_sub, C, position, token, clock.now(), session_id=sid)


# --- enrolment --------------------------------------------------------------------------
def test_enrol_only_paid_and_approved(deps: Any, clock: Any) -> None:
    # Given an approved but unpaid registration, inside the learning window
    t = make_registration()
    set_payment(t.registration_id, "approved", "unpaid")
    clock.set(LEARNING_OPEN)
    # When / Then: enrolment is refused, naming the reason
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, t.user_sub, clock.now())
    assert err.value.code == "NOT_PAID"
    set_payment(t.registration_id, "approved", "refunded")
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, t.user_sub, clock.now())
    assert err.value.code == "REFUNDED"
    with pytest.raises(ForbiddenError) as err:
        learning.enroll(deps, "nobody", clock.now())
    assert err.value.code == "NOT_REGISTERED"


def test_enrol_inside_learning_window_only(deps: Any, clock: Any, trainee: Any) -> None:
    clock.set(at("2026-04-12T23:59:59+08:00"))
    with pytest.raises(WindowClosedError) as err:
        learning.enroll(deps, trainee.user_sub, clock.now())
    assert err.value.code == "WINDOW_NOT_OPEN"
    clock.set(LEARNING_CLOSES)
    with pytest.raises(WindowClosedError) as err:
        learning.enroll(deps, trainee.user_sub, clock.now())
    assert err.value.code == "WINDOW_CLOSED"
    clock.set(at("2026-06-12T23:59:59+08:00"))  # the last second
    out = learning.enroll(deps, trainee.user_sub, clock.now())
    assert out["enrolled"] is True and len(out["courses"]) == 10


def test_enrol_twice_is_harmless_and_audited_once(deps: Any, clock: Any, trainee: Any) -> None:
    from chalicelib.platform.store.audit import history
    clock.set(LEARNING_OPEN)
    first = learning.enroll(deps, trainee.user_sub, clock.now())
    clock.advance(minutes=5)
    second = learning.enroll(deps, trainee.user_sub, clock.now())
    assert first["enrolled_at"] == second["enrolled_at"]
    actions = [e.action for e in history(f"registration#{trainee.registration_id}")]
    assert actions.count("learning.enrolled") == 1


def test_catalogue_shows_ten_courses_with_required_share(deps: Any, clock: Any,
                                                          enrolled: Any) -> None:
    out = learning.list_courses(deps, enrolled.user_sub, clock.now())
    assert out["enrolled"] is True
    assert [c["course_id"] for c in out["courses"]][:2] == ["C01", "C02"]
    assert sum(c["hours"] for c in out["courses"]) == 30
    c1 = out["courses"][0]
    assert c1["required_s"] == 4860 and c1["credited_s"] == 0 and c1["completed"] is False


# --- crediting --------------------------------------------------------------------------
def test_normal_viewing_credits_real_time(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    assert r["credited_s"] == 30 and r["accepted"] is True
    r = beat(deps, clock, enrolled, 60, r["token"])
    assert r["credited_s"] == 60 and r["credit_s"] == 30


def test_jump_ahead_is_capped_by_real_time(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    # When the player claims 10 minutes after 30 s of real time
    r = beat(deps, clock, enrolled, 630, r["token"], advance_s=30)
    # Then only 30 s are credited; the skipped stretch stays creditable when watched later
    # (coverage credit, issue 13: it used to be forfeit)
    assert r["credit_s"] == 30 and r["credited_s"] == 60
    r = beat(deps, clock, enrolled, 400, r["token"])
    assert r["credit_s"] == 30 and r["credited_s"] == 90
    r = beat(deps, clock, enrolled, 400, r["token"])  # the same seconds again: nothing
    assert r["credit_s"] == 0 and r["credited_s"] == 90


def test_jump_after_long_pause_is_capped_per_report(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    r = beat(deps, clock, enrolled, 3000, r["token"], advance_s=3600)
    assert r["credit_s"] == MAX_CREDIT_S


def test_repeated_report_credits_nothing(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    token = r["token"]
    again = beat(deps, clock, enrolled, 30, token)
    assert again["credit_s"] == 0 and again["credited_s"] == 30 and again["accepted"] is False
    # the same report replayed later with its old token credits nothing either
    replay = beat(deps, clock, enrolled, 30, token, advance_s=120)
    assert replay["credited_s"] == 30


def test_out_of_order_reports_credit_nothing(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    r = beat(deps, clock, enrolled, 60, r["token"])
    late = beat(deps, clock, enrolled, 45, r["token"], advance_s=1)  # an earlier report, late
    assert late["credit_s"] == 0 and late["credited_s"] == 60


def test_reports_too_close_together_credit_nothing(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    fast = beat(deps, clock, enrolled, 33, r["token"], advance_s=3)
    assert fast["credit_s"] == 0
    later = beat(deps, clock, enrolled, 60, fast["token"], advance_s=27)
    assert later["credited_s"] == 60  # nothing lost: 30 s of real time for 30 s of video


def test_stale_or_forged_token_is_read_and_retried(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    # A forged token claiming an old state with nothing credited
    forged = "v1.0.0.0"
    r2 = beat(deps, clock, enrolled, 60, forged)
    assert r2["credited_s"] == 60 and r2["credit_s"] == 30  # computed from the stored state
    r3 = beat(deps, clock, enrolled, 90, "garbage")
    assert r3["credited_s"] == 90
    assert r["token"] != r3["token"]


def test_after_window_heartbeats_are_refused(deps: Any, clock: Any, enrolled: Any) -> None:
    r = beat(deps, clock, enrolled, 30, None)
    clock.set(at("2026-06-12T23:59:50+08:00"))
    sid = session(deps, clock, enrolled)
    last = learning.heartbeat(deps, enrolled.user_sub, C, 60, r["token"], clock.now(),
                              session_id=sid)
    assert last["credit_s"] == 30
    clock.set(LEARNING_CLOSES)
    with pytest.raises(WindowClosedError):
        learning.heartbeat(deps, enrolled.user_sub, C, 90, last["token"], clock.now(),
                           session_id=sid)


def test_not_enrolled_cannot_report(deps: Any, clock: Any, trainee: Any) -> None:
    clock.set(LEARNING_OPEN)
    with pytest.raises(ConflictError) as err:
        learning.heartbeat(deps, trainee.user_sub, C, 30, "v1.0.0.0", clock.now(),
                           session_id="S1")
    assert err.value.code == "NOT_ENROLLED"


def test_completion_exactly_at_threshold(deps: Any, clock: Any, enrolled: Any) -> None:
    # required = ceil(5400 s x 0.9) = 4860 s = 81 reports of 60 s
    deps = cached(deps)
    token = None
    r: dict[str, Any] = {}
    for i in range(1, 81):
        r = beat(deps, clock, enrolled, i * 60, token, advance_s=60)
        token = r["token"]
    assert r["credited_s"] == 4800 and r["completed"] is False
    r = beat(deps, clock, enrolled, 81 * 60, token, advance_s=60)
    assert r["credited_s"] == 4860 and r["completed"] is True
    row = learning.list_courses(deps, enrolled.user_sub, clock.now())["courses"][0]
    assert row["completed"] is True and row["completed_at"] is not None


def test_total_credit_never_exceeds_real_time(deps: Any, clock: Any, enrolled: Any) -> None:
    """A hostile player: random positions, repeats, jumps and bursts. The sum of credits
    stays below the real time since enrolment and the video's length."""
    import random
    deps = cached(deps)
    rnd = random.Random(7)
    start = clock.now()
    token: str | None = None
    position = 0.0
    credited = 0
    for _ in range(80):
        step = rnd.choice([0, 1, 3, 30, 30, 30, 45, 200])
        position = max(0.0, position + rnd.choice([-60, 0, 20, 30, 30, 90, 600]))
        clock.advance(seconds=step)
        r = learning.heartbeat(deps, enrolled.user_sub, C, position,
                               token if rnd.random() > 0.2 else None, clock.now(),
                               session_id=session(deps, clock, enrolled))
        token = r["token"]
        assert r["credited_s"] >= credited
        credited = r["credited_s"]
    elapsed = (clock.now() - start).total_seconds()
    assert 0 < credited <= elapsed and credited <= 5400


def test_two_reports_racing_credit_once(deps: Any, clock: Any, enrolled: Any) -> None:
    """Two tabs send the same next report with the same token: the conditional write lets
    one credit; the other finds the new state and credits nothing for the same stretch."""
    from concurrent.futures import ThreadPoolExecutor
    r = beat(deps, clock, enrolled, 30, None)
    clock.advance(seconds=30)
    now, sid = clock.now(), session(deps, clock, enrolled)
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: learning.heartbeat(deps, enrolled.user_sub, C, 60,
                                                          r["token"], now, session_id=sid),
                             range(2)))
    assert sorted(o["credit_s"] for o in outs) == [0, 30]
    assert max(o["credited_s"] for o in outs) == 60


def test_one_dynamodb_call_per_heartbeat(deps: Any, clock: Any, enrolled: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With the token of the previous answer and the edition cached in-process (prod), a
    heartbeat is exactly one UpdateItem."""
    prod_like = cached(deps)
    r = beat(prod_like, clock, enrolled, 30, None)  # warms the edition cache
    log = dynamodb_requests(monkeypatch)
    token = r["token"]
    for i in range(2, 6):
        r = beat(prod_like, clock, enrolled, 30 * i, token)
        token = r["token"]
    assert [c.operation for c in log] == ["UpdateItem"] * 4
    assert r["credited_s"] == 150
    log.clear()
    beat(prod_like, clock, enrolled, 30, token)  # a repeat: nothing to write, one read
    assert [c.operation for c in log] == ["GetItem"]  # (that tells a superseded session; no write)
    log.clear()
    beat(prod_like, clock, enrolled, 180, None)  # no token: read, then the update
    assert [c.operation for c in log] == ["GetItem", "UpdateItem"]


# --- one playback at a time (issue 13) --------------------------------------------------
def test_plays_racing_leave_one_session(deps: Any, clock: Any,
                                                        enrolled: Any) -> None:
    """Two tabs open their play sessions at the same moment: the session transactions
    serialise (the first play's session item, then the item holding the session), so one
    session is the trainee's, stamped on its course's item only, and only its reports
    credit; the other's answer SESSION_SUPERSEDED on the real table."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.learning.errors import SessionSupersededError
    from chalicelib.learning.repository import Progress, learner_key
    now = clock.now()
    with ThreadPoolExecutor(2) as pool:
        links = list(pool.map(lambda c: learning.play(deps, enrolled.user_sub, c, now),
                              ["C01", "C02"]))
    from chalicelib.learning.rules import session_stamp
    stamped = [p.session_id for p in Progress.query(learner_key("2026", enrolled.user_sub))
               if p.session_id]
    assert len(stamped) == 1  # on the winner's course only
    (current,) = stamped
    winner, loser = sorted(links, key=lambda link: session_stamp(
        link["session_id"], link["course_id"]) != current)
    assert session_stamp(winner["session_id"], winner["course_id"]) == current
    clock.advance(seconds=30)
    with pytest.raises(SessionSupersededError):
        learning.heartbeat(deps, enrolled.user_sub, loser["course_id"], 30, loser["token"],
                           clock.now(), session_id=loser["session_id"])
    out = learning.heartbeat(deps, enrolled.user_sub, winner["course_id"], 30,
                             winner["token"], clock.now(), session_id=winner["session_id"])
    assert out["accepted"] is True and out["credited_s"] == 30


def test_a_newer_play_stops_the_older_sessions_credit_on_the_real_table(
        deps: Any, clock: Any, enrolled: Any) -> None:
    """The heartbeat's one UpdateItem checks the session: a report of the older session
    that holds a perfectly fresh token still credits nothing once a newer play happened."""
    from chalicelib.learning.errors import SessionSupersededError
    old = learning.play(deps, enrolled.user_sub, C, clock.now())
    clock.advance(seconds=30)
    r = learning.heartbeat(deps, enrolled.user_sub, C, 30, old["token"], clock.now(),
                           session_id=old["session_id"])
    learning.play(deps, enrolled.user_sub, "C05", clock.now())  # another device
    clock.advance(seconds=30)
    with pytest.raises(SessionSupersededError) as err:
        learning.heartbeat(deps, enrolled.user_sub, C, 60, r["token"], clock.now(),
                           session_id=old["session_id"])
    assert err.value.code == "SESSION_SUPERSEDED" and err.value.status == 409
    row = learning.list_courses(deps, enrolled.user_sub, clock.now())["courses"][0]
    assert row["credited_s"] == 30


def test_a_play_writes_the_played_course_and_the_former_holder_only(
        deps: Any, clock: Any, enrolled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A play link is one transaction of at most two items (issue 18: it stamped all ten
    courses, 20 WRU): the first play writes the played item and the per-trainee session
    item, a play of the same course that one item, of another course it and the item it
    takes the session from; the superseded session's report then credits nothing."""
    from chalicelib.learning.errors import SessionSupersededError
    log = dynamodb_requests(monkeypatch)
    first = learning.play(deps, enrolled.user_sub, "C01", clock.now())
    again = learning.play(deps, enrolled.user_sub, "C01", clock.now())
    other = learning.play(deps, enrolled.user_sub, "C02", clock.now())
    assert [len(c.params["TransactItems"]) for c in log if c.operation == "TransactWriteItems"] == [2, 1, 2]
    clock.advance(seconds=30)
    for old in (first, again):
        with pytest.raises(SessionSupersededError):
            learning.heartbeat(deps, enrolled.user_sub, "C01", 30, old["token"], clock.now(),
                               session_id=old["session_id"])
    out = learning.heartbeat(deps, enrolled.user_sub, "C02", 30, other["token"], clock.now(),
                             session_id=other["session_id"])
    assert out["accepted"] is True and out["credited_s"] == 30


def test_enrolment_answers_from_the_items_it_wrote(deps: Any, clock: Any, trainee: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """选学 does not read back the ten progress items it has just written (issue 18: the
    Query was the 4th request); the answer is the same as the catalogue's."""
    clock.set(LEARNING_OPEN)
    log = dynamodb_requests(monkeypatch)
    out = learning.enroll(cached(deps), trainee.user_sub, clock.now())
    calls = [c.operation for c in log]
    assert "Query" not in calls and calls.count("TransactWriteItems") == 1
    monkeypatch.undo()
    catalogue = learning.list_courses(deps, trainee.user_sub, clock.now())
    assert out["courses"] == catalogue["courses"] and len(out["courses"]) == 10
    assert out["completed_count"] == 0 and out["all_completed"] is False
