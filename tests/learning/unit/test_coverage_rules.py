"""Coverage credit as real viewers use the player, on the in-memory twins: each second of
the video is credited once, a report credits at most the real time since the previous
accepted one, and what was skipped or played fast stays creditable when it is watched
later at 1x (a slip of the slider never locks anyone out)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.learning import service as learning
from tests.conftest import at
from tests.learning.unit.conftest import World

OPENS = at("2026-04-13T00:00:00+08:00")
C = "C01"  # 5,400 s, 4,860 s required


class Viewer:
    """One player: plays the course, reports every `every` seconds of real time, echoes the
    token of each answer (and the play session), like web/trainee.js."""

    def __init__(self, world: World, user_sub: str, course_id: str = C,
                 now: datetime = OPENS) -> None:
        self.world, self.user_sub, self.course_id, self.now = world, user_sub, course_id, now
        link = learning.play(world.deps, user_sub, course_id, now)
        self.token: str | None = link["token"]
        self.session_id: str | None = link.get("session_id")
        self.last: dict[str, Any] = {}

    def report(self, position_s: float, after_s: float = 30) -> dict[str, Any]:
        self.now += timedelta(seconds=after_s)
        kwargs = {"session_id": self.session_id} if self.session_id is not None else {}
        self.last = learning.heartbeat(self.world.deps, self.user_sub, self.course_id,
                                       position_s, self.token, self.now, **kwargs)
        self.token = self.last["token"]
        return self.last

    def watch(self, start_s: int, end_s: int, rate: float = 1.0, every: int = 30) -> None:
        """Play [start_s, end_s) at `rate`, reporting every `every` s of real time."""
        position = float(start_s)
        while position < end_s:
            position = min(end_s, position + every * rate)
            self.report(position, after_s=every)

    @property
    def credited(self) -> int:
        return int(self.last["credited_s"])


def enrolled(world: World) -> Any:
    t = world.trainee()
    learning.enroll(world.deps, t.user_sub, OPENS)
    return t


def test_one_jump_to_minute_50_then_the_whole_video_at_1x_completes(world: World) -> None:
    # Given a trainee who watched 30 s, then dragged the slider to minute 50 by mistake
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.report(30)
    v.report(3000 + 30)  # 30 s of real time later, at minute 50
    assert v.credited <= 60  # never more than the real time
    # When they go back to the start and watch the whole video at 1x
    v.report(0, after_s=1 * 60)
    v.watch(0, 5400)
    # Then every second is credited once: the course is 学习完
    assert v.last["completed"] is True
    assert v.credited == 5400


def test_jump_ahead_watch_to_the_end_then_the_beginning_completes(world: World) -> None:
    """The natural habit: jump to minute 50, watch to the end, then go back and watch
    minutes 0-50. Every second was watched once at 1x, so every second is credited."""
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.report(0, after_s=10)
    v.report(3000, after_s=5)
    v.watch(3000, 5400)
    v.report(0, after_s=5)
    v.watch(0, 3000)
    assert v.credited >= 5400 - 30 and v.last["completed"] is True


def test_2x_credits_real_time_and_the_rest_is_creditable_later_at_1x(world: World) -> None:
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    start = v.now
    v.watch(0, 5400, rate=2.0)  # 45 min of real time
    real = (v.now - start).total_seconds()
    assert v.credited <= real and v.credited >= real - 60
    assert v.last["completed"] is False
    # Then the whole video again at 1x: what 2x skipped past is credited now
    v.report(0, after_s=30)
    v.watch(0, 5400)
    assert v.credited == 5400 and v.last["completed"] is True


def test_seeking_back_does_not_credit_a_second_twice(world: World) -> None:
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.watch(0, 600)
    assert v.credited == 600
    v.report(0, after_s=5)
    v.watch(0, 600)  # the same ten minutes again
    assert v.credited == 600
    v.watch(600, 900)  # and onwards: credited again
    assert v.credited == 900


def test_the_player_reporting_slightly_late_loses_nothing(world: World) -> None:
    """Reports at 30.6 s of real time with the player's floored position: no second is
    lost to rounding, nothing is credited twice."""
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    position = 0.0
    for _ in range(100):
        position += 30.6
        v.report(int(position), after_s=30.6)
    assert v.credited == int(position)


# --- one playback at a time -------------------------------------------------------------
def test_two_courses_side_by_side_credit_the_real_time_once(world: World) -> None:
    """Two tabs, two courses, 600 s of application time: at most ~600 s credited in all
    (it was 1,189 s: each tab credited its own real time)."""
    t = enrolled(world)
    first = Viewer(world, t.user_sub, "C01")
    second = Viewer(world, t.user_sub, "C02", now=OPENS + timedelta(seconds=1))
    outcomes: list[str] = []
    for i in range(1, 21):
        for v in (first, second):
            try:
                v.report(30 * i)
                outcomes.append("ok")
            except Exception as exc:  # noqa: BLE001 - the code is what is asserted
                outcomes.append(getattr(exc, "code", repr(exc)))
    credited = sum(int(p["credited_s"]) for p in learning.courses_view(
        world.edition, world.registrations.get_registration(t.registration_id))["courses"])
    assert credited <= 600 + 30
    assert outcomes[0::2] == ["SESSION_SUPERSEDED"] * 20  # the older tab: 409 each time
    assert outcomes[1::2] == ["ok"] * 20


def test_alternating_play_sessions_do_not_multiply_credit(world: World) -> None:
    """A player that re-opens its session every 30 s in two tabs in turn: each play
    restarts the real-time budget, so the total stays at most the real time."""
    t = enrolled(world)
    now = OPENS
    viewers: dict[str, Viewer] = {}
    for i in range(20):
        course = ("C01", "C02")[i % 2]
        now += timedelta(seconds=30)
        v = Viewer(world, t.user_sub, course, now=now)
        position = viewers[course].last.get("position_s", 0) if course in viewers else 0
        v.report(position + 60, after_s=29)
        viewers[course] = v
    credited = sum(int(v.last["credited_s"]) for v in viewers.values())
    assert credited <= 20 * 30


def test_a_superseded_or_unnamed_session_credits_nothing_and_is_told(world: World) -> None:
    import pytest

    from chalicelib.learning.errors import SessionSupersededError
    t = enrolled(world)
    old = Viewer(world, t.user_sub)
    old.report(30)
    new = Viewer(world, t.user_sub, "C02", now=old.now)  # another tab, another course
    for position, after in ((60, 30), (30, 30)):  # a creditable report, and a repeat
        with pytest.raises(SessionSupersededError) as err:
            old.report(position, after_s=after)
        assert err.value.code == "SESSION_SUPERSEDED" and err.value.status == 409
        assert err.value.message == "您已在其他窗口或设备开始播放，本窗口已暂停计时"
    with pytest.raises(SessionSupersededError):  # a report naming no session
        learning.heartbeat(world.deps, t.user_sub, C, 90, old.token, old.now)
    new.report(30)
    rows = {c["course_id"]: c["credited_s"] for c in learning.courses_view(
        world.edition, world.registrations.get_registration(t.registration_id))["courses"]}
    assert rows["C01"] == 30 and rows["C02"] == 30


def test_one_session_id_reused_on_two_courses_credits_only_its_own(world: World) -> None:
    """A hand-made client that opens one session and reports on two courses with it: the
    session is the one course's, the other course's reports are superseded."""
    import pytest

    from chalicelib.learning.errors import SessionSupersededError
    t = enrolled(world)
    v = Viewer(world, t.user_sub, "C01")
    forged = Viewer(world, t.user_sub, "C01", now=v.now)  # a fresh C01 session...
    v.session_id, v.token = forged.session_id, forged.token
    other = learning.courses_view(world.edition, world.registrations.get_registration(
        t.registration_id))["courses"][1]
    with pytest.raises(SessionSupersededError):  # ...used for C02
        learning.heartbeat(world.deps, t.user_sub, "C02", 30, other["token"],
                           v.now + timedelta(seconds=30), session_id=forged.session_id)
    assert v.report(30)["credited_s"] == 30


# --- overlap, out of order, lost reports (issue 13, item 6) -----------------------------
def test_overlapping_stretches_merge_and_count_once(world: World) -> None:
    """Minutes 10-15 watched, then 5-20 from a seek back: the overlap counts once, the
    ranges merge into one (the item stays small)."""
    from chalicelib.learning.rules import decode_token
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.report(600, after_s=5)  # a jump to minute 10: 5 s of real time, 5 s credited
    v.watch(600, 900)
    assert v.credited == 305
    v.report(300, after_s=5)  # back to minute 5
    v.watch(300, 1200)  # through the stretch already credited, and on
    assert v.credited == 1200 - 295
    assert decode_token(v.token).watched == ((295, 1200),)


def test_a_report_arriving_out_of_order_credits_nothing(world: World) -> None:
    """The network delivers an older report (its older token) after a newer one: it
    credits nothing and changes nothing; the next report continues as if it never came."""
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.watch(0, 60)
    older = v.token
    v.report(90)
    assert v.credited == 90
    newer = v.token
    late = learning.heartbeat(world.deps, t.user_sub, C, 60, older, v.now + timedelta(seconds=6),
                              session_id=v.session_id)
    assert late["credit_s"] == 0 and late["credited_s"] == 90 and late["accepted"] is False
    v.token = newer
    v.report(120)
    assert v.credited == 120


def test_one_lost_report_is_made_up_and_more_are_capped(world: World) -> None:
    """A report lost on the way (a train tunnel): the next one credits the real time since
    the last accepted one, up to two intervals (60 s); a longer silence credits 60 s, and
    the stretch it could not credit stays creditable when watched again."""
    t = enrolled(world)
    v = Viewer(world, t.user_sub)
    v.watch(0, 60)
    v.report(120, after_s=60)  # the report at 90 was lost
    assert v.credited == 120 and v.last["credit_s"] == 60
    v.report(240, after_s=120)  # three reports lost: 120 s of real time, 60 s credited
    assert v.credited == 180 and v.last["credit_s"] == 60
    v.report(120, after_s=5)  # back to where the silence began, watched again at 1x
    v.watch(120, 240)
    assert v.credited == 240
