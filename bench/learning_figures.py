"""Issue 13's figures: DynamoDB requests of a steady-state heartbeat (floor 1), of the key
route and the playlist route (floor 1: the session check and the key in one read), and the
size in bytes of a progress item after a whole 90-minute course was watched, by a viewer
with a real viewer's habits (a jump ahead, 2x, seeks back, then everything at 1x), against
a viewer who watched it straight through once (the floor: one range).

Requests are counted on the wire (botocore events, bench.harness.COUNTER) through the real
routes (chalice's test client) in the prod-like mode (the edition cached in memory). The
item size follows DynamoDB's sizing rule (attribute name bytes + value bytes; a number is
about one byte per two significant digits plus one), computed from the item as stored."""
from __future__ import annotations

import math
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.harness import COUNTER, Api, entry, fresh_stack, parse_at, sub_of, summarise

COURSE = "C01"  # 5,400 s in the 2026 data
KEY = bytes(range(16))
PLAYLIST = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            '#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x00000000000000000000000000000001\n'
            + "".join(f"#EXTINF:6.0,\nseg{i:05d}.ts\n" for i in range(900)) + "#EXT-X-ENDLIST\n")


def item_bytes(raw: dict[str, Any]) -> int:
    """DynamoDB's item size of a low-level item ({"name": {"S": ...}})."""
    size = 0
    for name, value in raw.items():
        size += len(name.encode())
        (kind, v), = value.items()
        if kind == "S":
            size += len(v.encode())
        elif kind == "N":
            digits = Decimal(v).normalize().as_tuple().digits
            size += math.ceil(len(digits) / 2) + 1
        elif kind == "BOOL" or kind == "NULL":
            size += 1
        else:
            size += len(str(v).encode())
    return size


def _paid_trainee(api: Api, deps: Any) -> tuple[str, str]:
    from chalicelib.registration.repository import Registration
    _email, token = api.signup(name="李玥")
    r = api.register(token)
    reg = Registration.get(r.data["registration_id"], consistent_read=True)
    reg.update(actions=[Registration.status.set("approved"),
                        Registration.edition_status.set("2026#approved"),
                        Registration.payment_status.set("paid")])
    return token, sub_of(token)


def _watch(deps: Any, sub: str, pattern: list[tuple[float, float]], start: Any) -> tuple[Any, int]:
    """Reports (position, seconds of real time since the previous) through the service."""
    from chalicelib.learning import service as learning
    now = start
    link = learning.play(deps, sub, COURSE, now)
    token, session = link["token"], link["session_id"]
    answer: dict[str, Any] = {}
    for position, after in pattern:
        now += timedelta(seconds=after)
        answer = learning.heartbeat(deps, sub, COURSE, position, token, now, session_id=session)
        token = answer["token"]
    return now, int(answer["credited_s"])


def _straight(every: int = 30) -> list[tuple[float, float]]:
    return [(float(p), float(every)) for p in range(every, 5401, every)]


def _habits(every: int = 30) -> list[tuple[float, float]]:
    """30 s, a jump to minute 50, ten minutes at 2x, back to the start, then all at 1x with
    two seeks back of a few minutes each (the sort of thing people do)."""
    steps: list[tuple[float, float]] = [(30.0, 30.0), (3000.0, 5.0)]
    steps += [(3000.0 + 60 * i, 30.0) for i in range(1, 11)]  # 2x
    steps.append((0.0, 5.0))
    position = 0.0
    for stop in (1200.0, 2400.0, 5400.0):
        while position < stop:
            position = min(stop, position + every)
            steps.append((position, float(every)))
        if stop < 5400:
            position -= 180  # seek back three minutes
            steps.append((position, 5.0))
    return steps


def _raw_item(deps: Any, sub: str) -> dict[str, Any]:
    from chalicelib.learning.repository import Progress, learner_key
    conn = Progress._get_connection()
    return dict(conn.get_item(learner_key("2026", sub), COURSE, consistent_read=True)["Item"])


def _route_calls(api: Api, path: str, token: str, headers: dict[str, str] | None = None
                 ) -> dict[str, Any]:
    with COUNTER.record() as calls:
        r = api.get(path, token, headers=headers)
    assert r.status_code == 200, (path, r.status_code, r.body[:300])
    return summarise(calls)


def run(quick: bool = False) -> list[dict[str, Any]]:
    from chalicelib.learning import media
    from chalicelib.learning.repository import CourseMedia
    from chalicelib.platform.storage import storage
    opens = parse_at("2026-04-13T09:00:00+08:00")
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    api = Api(deps)
    try:
        token, sub = _paid_trainee(api, deps)
        other_token, other = _paid_trainee(api, deps)
        deps.clock.set(opens)
        for t in (token, other_token):
            assert api.post("/learning/enroll", t, json={}).status_code == 200

        # heartbeats in steady state, through the route
        link = api.get(f"/learning/courses/{COURSE}/play", token).data
        hb_token, session = link["token"], link["session_id"]
        n = 5 if quick else 40
        per_beat: list[int] = []
        for i in range(1, n + 1):
            deps.clock.advance(seconds=30)
            with COUNTER.record() as calls:
                r = api.post(f"/learning/courses/{COURSE}/heartbeat", token, json={
                    "position_s": 30 * i, "token": hb_token, "session_id": session})
            assert r.status_code == 200 and r.data["accepted"], r.body
            hb_token = r.data["token"]
            per_beat.append(summarise(calls)["dynamodb_calls"])
        token_bytes = len(hb_token.encode())

        # the key and playlist routes, on a packaged video (its item and playlist as stored)
        version = "VBENCH1"
        prefix = media.hls_prefix("2026", COURSE, version)
        storage(deps).put_object("videos", prefix + "index.m3u8", PLAYLIST.encode(),
                                 "application/vnd.apple.mpegurl")
        CourseMedia(edition_id="2026", course_id=COURSE, hls_prefix=prefix,
                    playlist_name="index.m3u8", key_hex=KEY.hex(), duration_s=5400,
                    packaged_at=deps.clock.now(), updated_at=deps.clock.now()).save()
        api.get(f"/learning/courses/{COURSE}/playlist?session_id={session}", token)  # warm
        key_path = f"/learning/courses/{COURSE}/key?session_id={session}&v={version}"
        key = _route_calls(api, key_path, token, {"Accept": "application/octet-stream"})
        t0 = time.perf_counter()
        playlist = _route_calls(api, f"/learning/courses/{COURSE}/playlist?session_id={session}",
                                token)
        playlist_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        _route_calls(api, key_path, token, {"Accept": "application/octet-stream"})
        key_ms = (time.perf_counter() - t0) * 1000

        # a whole 90-minute course: straight through, and with a real viewer's habits
        every = 60 if quick else 30  # quick: a report a minute (one lost report each time)
        end, credited_straight = _watch(deps, other, _straight(every), opens)
        straight = item_bytes(_raw_item(deps, other))
        _end, credited_habits = _watch(deps, sub, _habits(every), end + timedelta(minutes=5))
        raw = _raw_item(deps, sub)
        habits = item_bytes(raw)
    finally:
        api.close()
    steady = max(per_beat)
    return [
        entry("heartbeat_dynamodb_requests", steady, 1, "requests",
              f"max over {n} steady-state heartbeats through the route (all: {sorted(set(per_beat))})",
              token_bytes=token_bytes),
        entry("key_route_dynamodb_requests", key["dynamodb_calls"], 1, "requests",
              "GET /learning/courses/{id}/key: session check + key in one TransactGetItems",
              operations=key["operations"]),
        entry("playlist_route_dynamodb_requests", playlist["dynamodb_calls"], 1, "requests",
              "GET /learning/courses/{id}/playlist (900 segments signed; the stored playlist "
              "is cached per process)", operations=playlist["operations"]),
        entry("playlist_route_ms_900_segments", playlist_ms, key_ms, "ms",
              "wall time of GET playlist (900 S3 presigned segment URLs) against the key route "
              "on the same stack (moto, this machine): the cost of signing per segment"),
        entry("progress_item_bytes_90min_full", habits, straight, "bytes",
              f"a 5,400 s course watched with a jump, 2x and seeks back, then all at 1x "
              f"(credited {credited_habits} s, watched={raw.get('watched', {}).get('S')!r}); "
              f"floor: watched straight through once (credited {credited_straight} s)"),
    ]
