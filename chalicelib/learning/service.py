"""Learning: enrolment (选学), the catalogue with own progress, playback links and the
heartbeat that credits watched time. Rules in rules.py; storage in repository.py;
registrations are read through `registration.queries` (swapped for an in-memory twin in
the unit tests, like the repositories)."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.editions.edition import Course, Edition
from chalicelib.learning import hls, video
from chalicelib.learning.errors import CourseNotFoundError, NotAllowedToLearnError, NotEnrolledError, RegistrationChangedError, SessionSupersededError, VideoNotReadyError, VideoReplacedError
from chalicelib.learning.repository import CourseMedia, MediaRepository, Progress, ProgressRepository, learner_key
from chalicelib.learning.rules import HEARTBEAT_INTERVAL_S, ProgressState, clamp_position, credit_for, decode_token, encode_token, is_completed, session_stamp, unmet_payment
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.storage import storage
from chalicelib.platform.text import mask_name
from chalicelib.platform.store.base import new_id, retry_lost_races
from chalicelib.registration import queries as registrations
from chalicelib.registration.queries import Registration

progress_repo = ProgressRepository()
media_repo = MediaRepository()
SEGMENT_TTL_MAX_S = 4 * 3600

__all__ = ["find_registration", "unmet_payment", "require_paid", "courses_view", "enroll",
           "list_courses", "play", "playlist", "key", "heartbeat"]


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


# --- who may learn ---------------------------------------------------------------------
def find_registration(edition: Edition, user_sub: str) -> Registration | None:
    """The trainee's registration for the edition: the live one, else the latest."""
    reg_id = registrations.live_registration_id(edition.edition_id, user_sub)
    if reg_id:
        reg = registrations.get_registration(reg_id)
        if reg is not None:
            return reg
    mine = [r for r in registrations.registrations_of_user(user_sub)
            if r.edition_id == edition.edition_id]
    return mine[0] if mine else None


def require_paid(edition: Edition, user_sub: str) -> Registration:
    """The trainee's registration when it is approved and paid; else NOT_REGISTERED,
    NOT_APPROVED, NOT_PAID or REFUNDED (403)."""
    reg = find_registration(edition, user_sub)
    unmet = unmet_payment(reg)
    if unmet:
        raise NotAllowedToLearnError(unmet[0])
    assert reg is not None
    return reg


def _course(edition: Edition, course_id: str) -> Course:
    course = edition.course(course_id)
    if course is None:
        raise CourseNotFoundError()
    return course


def _progress_items(edition: Edition, reg: Registration, now: datetime) -> list[Progress]:
    learner = learner_key(edition.edition_id, reg.user_sub)
    return [Progress(learner=learner, course_id=c.course_id, edition_id=edition.edition_id,
                     user_sub=reg.user_sub, registration_id=reg.registration_id,
                     last_at_ms=epoch_ms(now), high_water_s=0, credited_s=0, cursor_s=0,
                     watched="",
                     required_s=edition.required_seconds(c), enrolled_at=now)
            for c in edition.courses]


# --- use cases -------------------------------------------------------------------------
def enroll(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """选学: a paid, approved trainee inside the learning window; repeating it is harmless.
    Two requests when it is allowed: the live-registration guard (its id), then the
    enrolment transaction, whose conditions (approved, paid, not enrolled yet:
    registration.transitions.mark_enrolled) are the check; the registration itself is read
    only to say why not (or, enrolled already, to answer as before)."""
    edition = editions.get_current(deps)
    registration_id = registrations.live_registration_id(edition.edition_id, user_sub)
    if registration_id is not None and edition.window("learning").is_open(now):
        known = Registration(registration_id=registration_id, user_sub=user_sub)
        created = _progress_items(edition, known, now)
        if progress_repo.enrol(registration_id, created, user_sub, now):
            # the answer is what was just written: no read-back
            return {"registration_id": registration_id, "enrolled": True,
                    "enrolled_at": iso(now), **courses_view(edition, known, created)}
    reg = require_paid(edition, user_sub)  # why not: not registered / approved / paid, refunded
    edition.require_open("learning", now)
    if reg.enrolled_at is None:
        created = _progress_items(edition, reg, now)
        if not progress_repo.enrol(reg.registration_id, created, user_sub, now):
            require_paid(edition, user_sub)  # says why (e.g. refunded meanwhile)
            raise RegistrationChangedError()
        return {"registration_id": reg.registration_id, "enrolled": True,
                "enrolled_at": iso(now), **courses_view(edition, reg, created)}
    progress_repo.ensure(_progress_items(edition, reg, now))  # courses added later
    return {"registration_id": reg.registration_id, "enrolled": True,
            "enrolled_at": iso(reg.enrolled_at), **courses_view(edition, reg)}


def courses_view(edition: Edition, reg: Registration,
                 known: list[Progress] | None = None) -> dict[str, Any]:
    """The edition's courses with the trainee's progress, and whether all are 学习完
    (`known`: the progress items as just written, instead of reading them)."""
    if known is None:
        known = progress_repo.list(learner_key(edition.edition_id, reg.user_sub))
    items = {p.course_id: p for p in known}
    courses = []
    for c in edition.courses:
        required = edition.required_seconds(c)
        item = items.get(c.course_id)
        credited = int(item.credited_s) if item else 0
        courses.append({
            "course_id": c.course_id, "title": c.title, "hours": c.hours,
            "duration_s": c.duration_s, "credited_s": credited, "required_s": required,
            "position_s": int(item.high_water_s) if item else 0,
            "completed": is_completed(credited, required),
            "completed_at": iso(item.completed_at) if item else None,
            "token": encode_token(item.state()) if item else None})
    done = sum(1 for c in courses if c["completed"])
    return {"courses": courses, "completed_count": done, "all_completed": done == len(courses),
            "required_share": edition.required_share}


def list_courses(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """The catalogue with the trainee's own progress."""
    edition = editions.get_current(deps)
    reg = require_paid(edition, user_sub)
    window = edition.window("learning")
    return {"edition_id": edition.edition_id, "registration_id": reg.registration_id,
            "enrolled": reg.enrolled_at is not None, "enrolled_at": iso(reg.enrolled_at),
            "learning_open": window.is_open(now), "learning_opens": iso(window.opens),
            "learning_closes": iso(window.closes),
            "heartbeat_interval_s": HEARTBEAT_INTERVAL_S, **courses_view(edition, reg)}


def play(deps: Deps, user_sub: str, course_id: str, now: datetime) -> dict[str, Any]:
    """A short-lived inline streaming URL, only to a paid, enrolled trainee in the window,
    and a new play session (`session_id`): it supersedes every older one of the trainee
    (any tab, device or course), whose heartbeats then answer SESSION_SUPERSEDED."""
    edition = editions.get_current(deps)
    course = _course(edition, course_id)
    reg = require_paid(edition, user_sub)
    edition.require_open("learning", now)
    learner = learner_key(edition.edition_id, user_sub)
    session_id = new_id("S", 16)
    stamp = session_stamp(session_id, course_id)

    def attempt(n: int) -> Progress | None:
        items = {p.course_id: p for p in progress_repo.list(learner)}
        found = items.get(course_id)
        if reg.enrolled_at is None or found is None:
            raise NotEnrolledError()
        holders = {c: str(p.session_id) for c, p in items.items() if p.session_id}
        if progress_repo.open_session(learner, course_id, stamp, epoch_ms(now), holders):
            return found
        return None  # another play moved the session meanwhile: read again
    item = retry_lost_races(attempt)
    required = edition.required_seconds(course)
    state = replace(item.state(), last_at_ms=epoch_ms(now))  # as the session wrote it
    ttl = video.url_ttl_s(edition)
    return {"url": f"/learning/courses/{course_id}/playlist?session_id={session_id}",
            "format": "hls", "expires_at": now + timedelta(seconds=ttl),
            "duration_s": course.duration_s, "watermark": watermark(reg.name, reg.phone),
            "idle_check_s": edition.idle_check_minutes * 60,
            "course_id": course_id, "position_s": state.high_water_s,
            "credited_s": state.credited_s, "required_s": required,
            "completed": is_completed(state.credited_s, required),
            "token": encode_token(state), "session_id": session_id,
            "heartbeat_interval_s": HEARTBEAT_INTERVAL_S}


def watermark(name: str | None, phone: str | None) -> str:
    """What the player shows moving over the video: the masked name and the phone's tail
    (a recording then names whose account it came from, without exposing them in full)."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    tail = f" 尾号{digits[-4:]}" if len(digits) >= 4 else ""
    return f"{mask_name(name or '学员')}{tail}"


def _session_media(deps: Deps, user_sub: str, course_id: str, session_id: str,
                   now: datetime) -> CourseMedia:
    """The course's packaged media, for the trainee's ACTIVE play session of that course,
    inside the learning window: ONE DynamoDB request (the edition is cached in prod)."""
    edition = editions.get_current(deps)
    _course(edition, course_id)
    edition.require_open("learning", now)  # no key after the window: saved segments stay dark
    progress, media = media_repo.session_and_media(
        learner_key(edition.edition_id, user_sub), edition.edition_id, course_id)
    if progress is None:
        raise NotEnrolledError()
    if progress.session_id != session_stamp(session_id, course_id):
        raise SessionSupersededError()
    if media is None or not media.hls_prefix or not media.key_hex:
        raise VideoNotReadyError()
    return media


def _stored_playlist(deps: Deps, media: CourseMedia) -> hls.MediaPlaylist:
    """The packaged playlist, read once per process and version (it never changes)."""
    cache: dict[str, hls.MediaPlaylist] = deps.adapter("hls:playlists", lambda _d: {})
    path = f"{media.hls_prefix}{media.playlist_name or 'index.m3u8'}"
    if path not in cache:
        if len(cache) > 200:
            cache.clear()
        cache[path] = hls.parse(storage(deps).get_object(video.VIDEOS_BUCKET, path).decode())
    return cache[path]


def playlist(deps: Deps, user_sub: str, course_id: str, session_id: str,
             now: datetime) -> str:
    """The HLS playlist of the trainee's active play session: segment URIs signed for a few
    minutes, the key URI the platform's key route for this session and video version."""
    media = _session_media(deps, user_sub, course_id, session_id, now)
    edition = editions.get_current(deps)
    stored = _stored_playlist(deps, media)
    prefix = str(media.hls_prefix)
    # Valid for one viewing at 1x plus the link TTL: a lesson never stalls on an expired
    # segment link mid-way (after a long pause the player asks for a fresh playlist). The
    # segments are ciphertext; the key route is what stops replay outside the session.
    ttl = min(video.url_ttl_s(edition) + math.ceil(stored.duration_s), SEGMENT_TTL_MAX_S)
    urls = video.video_signer(deps, edition).sign_segments(prefix, list(stored.segments), ttl)
    version = prefix.rstrip("/").rsplit("/", 1)[-1]
    # relative to this route: /learning/courses/{course_id}/key
    key_uri = f"key?session_id={session_id}&v={version}"
    return hls.rewrite(stored, urls.__getitem__, key_uri)


def key(deps: Deps, user_sub: str, course_id: str, session_id: str, version: str | None,
        now: datetime) -> bytes:
    """The 16-byte AES-128 key, only to the trainee of the active play session of the
    course, inside the learning window."""
    media = _session_media(deps, user_sub, course_id, session_id, now)
    if version is not None and version != str(media.hls_prefix).rstrip("/").rsplit("/", 1)[-1]:
        raise VideoReplacedError()
    return bytes.fromhex(str(media.key_hex))


def _answer(course_id: str, state: ProgressState, required: int, credit: int,
            accepted: bool) -> dict[str, Any]:
    return {"course_id": course_id, "credited_s": state.credited_s, "required_s": required,
            "completed": is_completed(state.credited_s, required), "credit_s": credit,
            "accepted": accepted, "position_s": state.high_water_s,
            "token": encode_token(state), "heartbeat_interval_s": HEARTBEAT_INTERVAL_S}


def _current(learner: str, course_id: str, stamp: str) -> ProgressState:
    """The stored state, read because the token was missing or stale, or because nothing
    was to be written (the write is what checks the session otherwise)."""
    item = progress_repo.get(learner, course_id)
    if item is None:
        raise NotEnrolledError()
    if item.session_id != stamp:
        raise SessionSupersededError()
    return item.state()


def heartbeat(deps: Deps, user_sub: str, course_id: str, position_s: float, token: str | None,
              now: datetime, session_id: str | None = None) -> dict[str, Any]:
    """Credit watched time from a player report of the trainee's current play session with
    ONE conditional UpdateItem (no read) when the player sends back the token of its
    previous answer: the write's condition is the token's state and the session. Without a
    token, or when it is stale (a lost answer) or the write lost, the item is read (which
    tells a superseded session: 409) and the update retried once. A report that cannot
    credit anything (repeat, out of order, too soon) writes nothing; it reads the item to
    answer a superseded session with 409 all the same.

    A report without `session_id` answers SESSION_SUPERSEDED too: only the session the
    trainee opened last may credit, and one that names none cannot be it (accepting it
    would let any number of tabs credit at once, the very thing sessions stop). An old
    player still open in a tab pauses on that 409 and plays again after a reload. A session
    credits only the course it was opened for (its stamp names the course): one session id
    reused for two courses side by side is superseded on the second."""
    edition = editions.get_current(deps)  # in-process cache in prod: no storage call
    course = _course(edition, course_id)
    edition.require_open("learning", now)
    if not session_id:
        raise SessionSupersededError()
    stamp = session_stamp(session_id, course_id)
    required = edition.required_seconds(course)
    position = clamp_position(position_s, course.duration_s)
    learner = learner_key(edition.edition_id, user_sub)
    now_ms = epoch_ms(now)
    seen = decode_token(token)
    read = False
    for _attempt in range(2):
        if seen is None:
            seen, read = _current(learner, course_id, stamp), True
        credit = credit_for(seen, position, now_ms)
        if credit.new is None:
            if read:
                return _answer(course_id, seen, required, 0, False)
            seen = None  # nothing to write: read to check the session (and the state)
            continue
        stored = progress_repo.credit(learner, course_id, seen, credit.new, stamp, now,
                                      completes=is_completed(credit.new.credited_s, required))
        if stored is not None:
            return _answer(course_id, stored.state(), required, credit.credit_s, True)
        seen = None  # the token was stale, a concurrent report won, or a newer session
    return _answer(course_id, _current(learner, course_id, stamp), required, 0, False)
