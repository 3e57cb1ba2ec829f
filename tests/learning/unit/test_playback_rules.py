"""Who gets the key (issue 13), on the in-memory twins: only the trainee of the course's
active play session, inside the learning window, for the version the playlist named; one
read (the session and the key together)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.learning import service as learning
from chalicelib.learning.errors import NotEnrolledError, SessionSupersededError, VideoNotReadyError, VideoReplacedError
from chalicelib.platform.errors import AppError
from tests.conftest import at
from tests.learning.unit.conftest import World

OPENS = at("2026-04-13T00:00:00+08:00")
CLOSES = at("2026-06-13T00:00:00+08:00")
KEY = bytes(range(16))


def packaged(world: World, course_id: str = "C01", version: str = "V1") -> None:
    world.media.queue("2026", course_id, f"uploads/2026/{course_id}/{version}.mp4", version, "admin", OPENS)
    pending = world.media.get("2026", course_id)
    prefix = f"2026/{course_id}/hls/{version}/"
    assert world.media.claim(pending, KEY.hex(), prefix, OPENS, OPENS)
    pending = world.media.get("2026", course_id)
    assert world.media.publish(pending, prefix, "index.m3u8", 120, "system", OPENS)


def playing(world: World, name: str = "欧阳明月") -> tuple[Any, dict[str, Any]]:
    t = world.trainee(name)
    learning.enroll(world.deps, t.user_sub, OPENS)
    return t, learning.play(world.deps, t.user_sub, "C01", OPENS)


def test_play_answers_the_sessions_hls_playlist_and_the_watermark(world: World) -> None:
    _t, link = playing(world)
    assert link["format"] == "hls"
    assert link["url"] == f"/learning/courses/C01/playlist?session_id={link['session_id']}"
    assert link["watermark"] == "欧**月 尾号8000"
    assert link["idle_check_s"] == 15 * 60  # the edition's default
    assert link["duration_s"] == 5400


def test_the_active_session_gets_the_key_in_one_read(world: World) -> None:
    packaged(world)
    t, link = playing(world)
    world.media.calls.clear()
    world.progress.calls.clear()
    assert learning.key(world.deps, t.user_sub, "C01", link["session_id"], "V1", OPENS) == KEY
    assert world.media.calls == ["TransactGetItems"] and world.progress.calls == []


def test_everyone_else_is_refused(world: World) -> None:
    packaged(world)
    t, link = playing(world)
    other, other_link = playing(world, "李玥")
    sid = link["session_id"]
    with pytest.raises(SessionSupersededError):  # another trainee with A's session id
        learning.key(world.deps, other.user_sub, "C01", sid, None, OPENS)
    with pytest.raises(SessionSupersededError):  # A's session is for C01, not C02
        learning.key(world.deps, t.user_sub, "C02", sid, None, OPENS)
    with pytest.raises(VideoReplacedError):  # a playlist of a replaced version
        learning.key(world.deps, t.user_sub, "C01", sid, "V0", OPENS)
    learning.play(world.deps, t.user_sub, "C01", OPENS + timedelta(seconds=1))  # another tab
    with pytest.raises(SessionSupersededError):
        learning.key(world.deps, t.user_sub, "C01", sid, None, OPENS)
    stranger = world.trainee("王五")  # paid but never enrolled
    with pytest.raises(NotEnrolledError):
        learning.key(world.deps, stranger.user_sub, "C01", sid, None, OPENS)
    assert learning.key(world.deps, other.user_sub, "C01", other_link["session_id"], None, OPENS) == KEY


def test_no_key_after_the_learning_window_and_none_before_packaging(world: World) -> None:
    t, link = playing(world)
    sid = link["session_id"]
    with pytest.raises(VideoNotReadyError):
        learning.key(world.deps, t.user_sub, "C01", sid, None, OPENS)
    packaged(world)
    assert learning.key(world.deps, t.user_sub, "C01", sid, None, CLOSES - timedelta(seconds=1)) == KEY
    with pytest.raises(AppError) as closed:
        learning.key(world.deps, t.user_sub, "C01", sid, None, CLOSES)
    assert closed.value.code == "WINDOW_CLOSED"
