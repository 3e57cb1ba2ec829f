"""Encrypted HLS with the key behind the play session (issue 13, items 3 and 5), on moto:
an admin's presigned upload, packaging as a job step with the ffmpeg imageio-ffmpeg ships,
the duration read from the media, the playlist and key routes. Oracles we did not write:
S3's presigned POST (moto), ffmpeg reading the packaged and the decrypted media, and the
`cryptography` package's AES-128-CBC decrypting a segment with the key the route served."""
from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.learning import service as learning
from tests.learning.conftest import LEARNING_CLOSES, LEARNING_OPEN, paid_api_trainee, run_to_end
from tests.wire import dynamodb_requests

CLIP_S = 6
BINARY = {"Accept": "application/octet-stream"}  # as the player asks for the key


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-second H.264/AAC MP4 (made once per session)."""
    from devtools.setup_sample_videos import ffmpeg_exe, make_clip
    ffmpeg = ffmpeg_exe()
    assert ffmpeg, "imageio-ffmpeg (requirements-dev.txt) ships the ffmpeg these tests need"
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    make_clip(ffmpeg, path, 3, CLIP_S)
    return path


def upload_and_package(api: Any, admin: str, clip: Path, course_id: str = "C01") -> dict[str, Any]:
    """As an admin does it: the presigned form, the file straight to S3, then packaging."""
    form = api.post(f"/admin/courses/{course_id}/video/upload", admin)
    assert form.status_code == 200, form.body
    with clip.open("rb") as fh:
        sent = requests.post(form.data["url"], data=form.data["fields"],
                             files={"file": ("lecture.mp4", fh, "video/mp4")}, timeout=30)
    assert sent.status_code in (200, 204), sent.text
    queued = api.post(f"/admin/courses/{course_id}/video", admin,
                      json={"upload_key": form.data["key"]})
    assert queued.status_code == 202 and queued.data["status"] == "queued", queued.body
    from chalicelib.learning import jobs
    assert run_to_end(jobs.package_videos, api.deps, api.deps.now()) == {"published": 1}
    return dict(form.data)


def playing_trainee(api: Any, clock: Any, name: str = "赵玥",
                    token: str | None = None) -> tuple[str, dict[str, Any]]:
    """A paid trainee (registered now, unless `token` is one already) enrolled and playing C01."""
    if token is None:
        token, _reg = paid_api_trainee(api, name)
    clock.set(max(LEARNING_OPEN, clock.now()))
    assert api.post("/learning/enroll", token).status_code == 200
    link = api.get("/learning/courses/C01/play", token)
    assert link.status_code == 200, link.body
    return token, dict(link.data)


def key_path(link: dict[str, Any]) -> str:
    return f"/learning/courses/C01/key?session_id={link['session_id']}"


def test_an_uploaded_video_is_packaged_encrypted_and_plays_only_through_the_session(
        api: Any, deps: Any, clock: Any, clip: Path) -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from chalicelib.editions import service as editions
    from devtools.setup_sample_videos import ffmpeg_exe
    admin = api.staff("admin")
    # Given an admin's upload, packaged by the job step
    upload_and_package(api, admin, clip)
    # Then the course's duration is the media's, not what was typed (5400 in the data)
    edition = editions.get_current(deps)
    assert edition.course("C01").duration_s == CLIP_S
    assert edition.required_seconds(edition.course("C01")) == 6  # ceil(6 x 0.9)
    listed = api.get("/admin/courses/media", admin).data["courses"]
    assert listed[0]["status"] == "ready" and listed[0]["duration_s"] == CLIP_S
    assert listed[1]["status"] == "none"
    assert "key" not in str(listed).lower().replace("key_", "")  # the key is never shown

    # When a trainee plays: an HLS playlist of the platform, not a link to the MP4
    token, link = playing_trainee(api, clock)
    assert link["format"] == "hls" and link["url"].startswith("/learning/courses/C01/playlist?")
    r = api.get(link["url"], token)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert r.headers["Cache-Control"].startswith("no-store")
    text = r.body.decode()
    assert ".mp4" not in text and "uploads/" not in text
    key_line = next(line for line in text.splitlines() if line.startswith("#EXT-X-KEY"))
    assert f'URI="key?session_id={link["session_id"]}&v=' in key_line
    assert "METHOD=AES-128" in key_line
    iv = bytes.fromhex(re.search(r"IV=0x([0-9a-fA-F]{32})", key_line).group(1))
    segments = [line for line in text.splitlines() if line and not line.startswith("#")]
    # signed for one viewing plus the link TTL: 300 s + the clip's 6 s
    assert len(segments) >= 1 and all("X-Amz-Signature=" in s and "X-Amz-Expires=306" in s
                                      for s in segments)
    # the key URI resolves next to the playlist: /learning/courses/C01/key
    key_uri = re.search(r'URI="([^"]+)"', key_line).group(1)
    k = api.get(f"/learning/courses/C01/{key_uri}", token, headers=BINARY)
    assert k.status_code == 200, k.body
    assert k.status_code == 200 and k.headers["Content-Type"] == "application/octet-stream"
    assert len(k.body) == 16 and k.headers["Cache-Control"].startswith("no-store")

    # Then a segment fetched with its signed URL is ciphertext; the served key decrypts it
    encrypted = requests.get(segments[0], timeout=10).content
    assert encrypted[:1] != b"\x47"  # not a readable MPEG-TS packet
    decryptor = Cipher(algorithms.AES(k.body), modes.CBC(iv)).decryptor()
    plain = decryptor.update(encrypted) + decryptor.finalize()
    plain = plain[:-plain[-1]]  # PKCS#7
    assert plain[0] == 0x47 and plain[188] == 0x47  # MPEG-TS sync bytes
    seg = Path(deps.settings.dev_keys_dir).parent / "test-segment.ts"
    seg.parent.mkdir(parents=True, exist_ok=True)
    seg.write_bytes(plain)
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(seg)], capture_output=True,
                           text=True, timeout=60, check=False).stderr
    seg.unlink()
    assert "Video: h264" in probe and "Audio: aac" in probe  # ffmpeg reads the decrypted media
    # And a segment URL without its signature is refused by the storage
    assert requests.get(segments[0].split("?")[0], timeout=10).status_code == 403


def test_the_key_route_refuses_everyone_but_the_active_session_inside_the_window(
        api: Any, deps: Any, clock: Any, clip: Path) -> None:
    admin = api.staff("admin")
    upload_and_package(api, admin, clip)
    token_a, _ = paid_api_trainee(api, "甲学员")
    token_b, _ = paid_api_trainee(api, "乙学员")
    token_a, link_a = playing_trainee(api, clock, token=token_a)
    token_b, link_b = playing_trainee(api, clock, token=token_b)
    assert api.get(key_path(link_a), token_a, headers=BINARY).status_code == 200
    # no token
    r = api.get(key_path(link_a), headers=BINARY)
    assert r.status_code == 401
    # another trainee, with A's session id (B's own session is B's)
    r = api.get(key_path(link_a), token_b, headers=BINARY)
    assert r.status_code == 409 and r.data["Code"] == "SESSION_SUPERSEDED"
    assert api.get(key_path(link_b), token_b, headers=BINARY).status_code == 200
    # a malformed session id is a 400 naming the field
    r = api.get("/learning/courses/C01/key?session_id=x'--", token_a, headers=BINARY)
    assert r.status_code == 400 and r.data["field"] == "query.session_id"
    # a superseded session: A plays again (another tab): the first session gets nothing
    newer = api.get("/learning/courses/C01/play", token_a).data
    r = api.get(key_path(link_a), token_a, headers=BINARY)
    assert r.status_code == 409 and r.data["Code"] == "SESSION_SUPERSEDED"
    r = api.get(f"/learning/courses/C01/playlist?session_id={link_a['session_id']}", token_a)
    assert r.status_code == 409 and r.data["Code"] == "SESSION_SUPERSEDED"
    # a session of one course does not open another course's key
    r = api.get(f"/learning/courses/C02/key?session_id={newer['session_id']}", token_a, headers=BINARY)
    assert r.status_code == 409 and r.data["Code"] == "SESSION_SUPERSEDED"
    # the last second of the learning window (6/12 23:59:59) still plays
    from datetime import timedelta
    clock.set(LEARNING_CLOSES - timedelta(seconds=1))
    assert api.get(key_path(newer), token_a, headers=BINARY).status_code == 200
    # after 6/12 24:00 no key is served, so saved segments cannot be played
    clock.set(LEARNING_CLOSES)
    r = api.get(key_path(newer), token_a, headers=BINARY)
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_CLOSED"
    assert r.data["window"] == "learning" and r.data["closes_at"] == "2026-06-13T00:00:00+08:00"
    r = api.get(f"/learning/courses/C01/playlist?session_id={newer['session_id']}", token_a)
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_CLOSED"


def test_a_course_without_packaged_video_answers_not_ready(api: Any, clock: Any) -> None:
    token, link = playing_trainee(api, clock)
    r = api.get(link["url"], token)
    assert r.status_code == 409 and r.data["Code"] == "VIDEO_NOT_READY"
    assert r.data["Message"] == "本课程视频正在准备中，请稍后再试"
    r = api.get(key_path(link), token, headers=BINARY)
    assert r.status_code == 409 and r.data["Code"] == "VIDEO_NOT_READY"


def test_packaging_refuses_an_upload_outside_the_course_or_missing(api: Any, clock: Any) -> None:
    admin = api.staff("admin")
    for key in ("uploads/2026/C02/V1.mp4", "2026/C01.mp4", "uploads/2026/C01/../x.mp4",
                "uploads/2026/C01/VNOTUPLOADED.mp4"):
        r = api.post("/admin/courses/C01/video", admin, json={"upload_key": key})
        assert r.status_code == 404 and r.data["Code"] == "UPLOAD_NOT_FOUND", key
    r = api.post("/admin/courses/NOPE/video/upload", admin)
    assert r.status_code == 404


def test_a_file_that_is_not_a_video_fails_packaging_and_keeps_the_reason(
        api: Any, deps: Any, clock: Any, tmp_path: Path) -> None:
    admin = api.staff("admin")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    form = api.post("/admin/courses/C01/video/upload", admin).data
    with junk.open("rb") as fh:
        requests.post(form["url"], data=form["fields"],
                      files={"file": ("x.mp4", fh, "video/mp4")}, timeout=30)
    assert api.post("/admin/courses/C01/video", admin,
                    json={"upload_key": form["key"]}).status_code == 202
    from chalicelib.learning import jobs
    assert run_to_end(jobs.package_videos, deps, clock.now()) == {"failed": 1}
    listed = api.get("/admin/courses/media", admin).data["courses"][0]
    assert listed["status"] == "failed" and "视频" in listed["error"]
    from chalicelib.editions import service as editions
    assert editions.get_current(deps).course("C01").duration_s == 5400  # unchanged


def test_the_key_route_is_one_dynamodb_request(api: Any, deps: Any, clock: Any, clip: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The floor: the session check and the key in one TransactGetItems (the edition is
    cached in-process in prod)."""
    admin = api.staff("admin")
    upload_and_package(api, admin, clip)
    token, link = playing_trainee(api, clock)
    prod_like = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"))
    sub = learning_sub(api, token)
    learning.key(prod_like, sub, "C01", link["session_id"], None, clock.now())  # warm cache
    log = dynamodb_requests(monkeypatch)
    assert len(learning.key(prod_like, sub, "C01", link["session_id"], None, clock.now())) == 16
    assert [c.operation for c in log] == ["TransactGetItems"]


def learning_sub(api: Any, token: str) -> str:
    """The caller's Cognito sub, from the token's claims."""
    import base64
    import json
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_fast_segment_signing_gives_exactly_the_sdks_presigned_urls(
        deps: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The S3 signer signs the segments without botocore's per-call machinery; at the same
    instant, every URL equals what the SDK's own generate_presigned_url gives."""
    from datetime import UTC, datetime

    import botocore.auth

    from chalicelib.learning.video import S3VideoSigner
    from chalicelib.platform.aws import client
    fixed = datetime(2026, 4, 13, 1, 2, 3, tzinfo=UTC)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: fixed)
    names = [f"seg{i:05d}.ts" for i in range(5)]
    signer = S3VideoSigner(deps)
    sdk_calls = []
    original = signer._storage.presigned_get
    monkeypatch.setattr(signer._storage, "presigned_get",
                        lambda *a, **k: sdk_calls.append(a) or original(*a, **k))
    ours = signer.sign_segments("2026/C01/hls/V1/", names, 300)
    assert len(sdk_calls) == 1  # only the first through the SDK: the rest signed by hand
    s3 = client(deps.settings, "s3")
    for name in names:
        sdk = s3.generate_presigned_url("get_object", ExpiresIn=300, Params={
            "Bucket": deps.settings.bucket_name("videos"), "Key": f"2026/C01/hls/V1/{name}"})
        assert ours[name] == sdk


def test_two_packaging_runs_racing_publish_one_version_whose_key_decrypts_it(
        api: Any, deps: Any, clock: Any, clip: Path) -> None:
    """Two job runs at once on the same upload (an overlapping schedule): one claims and
    publishes, the other stands back; the published key decrypts the published segments
    (two packagings writing one prefix with two keys would leave them undecryptable)."""
    from concurrent.futures import ThreadPoolExecutor

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from chalicelib.editions import service as editions
    from chalicelib.learning import media
    from chalicelib.platform.storage import storage
    storage(deps).put_object("videos", "uploads/2026/C01/VRACE.mp4", clip.read_bytes(), "video/mp4")
    media.request_packaging(deps, "C01", "uploads/2026/C01/VRACE.mp4", "admin", clock.now())
    edition = editions.get_current(deps)
    item = media.media_repo.get("2026", "C01")
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: media.package_pending(deps, edition, item, clock.now()),
                                   range(2)))
    assert outcomes == ["busy", "published"]
    done = media.media_repo.get("2026", "C01")
    playlist = storage(deps).get_object("videos", f"{done.hls_prefix}index.m3u8").decode()
    iv = bytes.fromhex(re.search(r"IV=0x([0-9a-fA-F]{32})", playlist).group(1))
    first = next(line for line in playlist.splitlines() if line.endswith(".ts"))
    data = storage(deps).get_object("videos", f"{done.hls_prefix}{first}")
    decryptor = Cipher(algorithms.AES(bytes.fromhex(done.key_hex)), modes.CBC(iv)).decryptor()
    assert (decryptor.update(data) + decryptor.finalize())[0] == 0x47


def test_storage_faults_on_the_key_and_playlist_routes_are_503_never_500(
        api: Any, deps: Any, clock: Any, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB throttled, or S3 unreachable, while a player asks: 503 RETRY_LATER with
    Retry-After (hls.js retries), never a 500; the player then gets its key."""
    from botocore.exceptions import ClientError, EndpointConnectionError
    from pynamodb.connection.base import Connection

    from chalicelib.platform.storage import ObjectStorage
    admin = api.staff("admin")
    upload_and_package(api, admin, clip)
    token, link = playing_trainee(api, clock)
    original = Connection._make_api_call

    def throttled(self: Any, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactGetItems":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                              operation)
        return original(self, operation, kwargs)
    monkeypatch.setattr(Connection, "_make_api_call", throttled)
    r = api.get(key_path(link), token, headers=BINARY)
    assert r.status_code == 503 and r.data["Code"] == "RETRY_LATER" and r.headers["Retry-After"]
    monkeypatch.setattr(Connection, "_make_api_call", original)

    def unreachable(self: Any, base: str, key: str) -> bytes:
        raise EndpointConnectionError(endpoint_url="http://s3.invalid")
    monkeypatch.setattr(ObjectStorage, "get_object", unreachable)
    r = api.get(link["url"], token)  # the playlist is not cached yet in this process
    assert r.status_code == 503 and r.data["Code"] == "RETRY_LATER"
    monkeypatch.undo()
    assert api.get(link["url"], token).status_code == 200
    assert len(api.get(key_path(link), token, headers=BINARY).body) == 16
