"""Course videos as data: an admin uploads the source (presigned POST straight to the
private videos bucket), asks for it to be packaged, and the `package_videos` job step
packages it as AES-128 encrypted HLS (learning/packaging.py), publishes it and writes the
course's `duration_s`, read from the media, into the edition. The source MP4 is never
served: trainees get only the encrypted HLS, through the playlist and key routes.

Object layout in the videos bucket:
  uploads/<edition>/<course>/<version>.mp4     the uploaded source (kept, never served)
  <edition>/<course>/hls/<version>/            the packaged playlist and segments
"""
from __future__ import annotations

import logging
import math
import secrets
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.editions.errors import EditionConflictError
from chalicelib.learning import hls, mp4, packaging
from chalicelib.learning.errors import CourseNotFoundError, UploadNotFoundError
from chalicelib.learning.repository import CourseMedia, MediaRepository
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.storage import storage
from chalicelib.platform.store.base import new_id

logger = logging.getLogger(__name__)
media_repo = MediaRepository()
VIDEOS = "videos"
UPLOAD_TYPES = ["video/mp4"]
MAX_UPLOAD_BYTES = 4 * 1024 ** 3  # a 90-minute lecture at a few Mbit/s, with room
UPLOAD_TTL_S = 3600
HEADER_BYTES = 8 * 1024 * 1024  # where a faststart MP4 keeps its movie header
ACTOR = "system:package_videos"
STALE_CLAIM = timedelta(minutes=30)  # a packaging claimed longer ago died: taken over
MEDIACONVERT_PLAYLIST = "index_720p.m3u8"  # packaging.mediaconvert_job's NameModifier


def upload_prefix(edition_id: str, course_id: str) -> str:
    return f"uploads/{edition_id}/{course_id}/"


def hls_prefix(edition_id: str, course_id: str, version: str) -> str:
    return f"{edition_id}/{course_id}/hls/{version}/"


def version_of(prefix: str) -> str:
    return prefix.rstrip("/").rsplit("/", 1)[-1]


def status_of(item: CourseMedia | None) -> str:
    """none | queued | packaging | ready | failed (derived from what the item holds)."""
    if item is None:
        return "none"
    if item.pending_version:
        return "packaging" if item.pending_key_hex else "queued"
    if item.hls_prefix:
        return "ready"
    return "failed" if item.error else "none"


def _course_or_404(edition: Edition, course_id: str) -> None:
    if edition.course(course_id) is None:
        raise CourseNotFoundError()


# --- admin ------------------------------------------------------------------------------
def upload_form(deps: Deps, course_id: str, now: datetime) -> dict[str, Any]:
    """A presigned POST for the course's new source video (MP4, at most 4 GB, 1 hour)."""
    edition = editions.get_current(deps)
    _course_or_404(edition, course_id)
    version = new_id("V", 12)
    key = f"{upload_prefix(edition.edition_id, course_id)}{version}.mp4"
    form = storage(deps).presigned_post(VIDEOS, key, UPLOAD_TYPES, MAX_UPLOAD_BYTES,
                                        UPLOAD_TTL_S, now)
    return {**form, "course_id": course_id, "version": version}


def request_packaging(deps: Deps, course_id: str, upload_key: str, actor: str,
                      now: datetime) -> dict[str, Any]:
    """The uploaded source waits for the `package_videos` step (a newer upload replaces an
    older one still waiting; trainees keep the playable version until the new one is ready)."""
    edition = editions.get_current(deps)
    _course_or_404(edition, course_id)
    prefix = upload_prefix(edition.edition_id, course_id)
    version = upload_key.removeprefix(prefix).removesuffix(".mp4")
    if (not upload_key.startswith(prefix) or not upload_key.endswith(".mp4")
            or not version.isalnum() or not storage(deps).exists(VIDEOS, upload_key)):
        raise UploadNotFoundError()
    media_repo.queue(edition.edition_id, course_id, upload_key, version, actor, now)
    return media_view(edition, course_id, media_repo.get(edition.edition_id, course_id))


def media_view(edition: Edition, course_id: str, item: CourseMedia | None) -> dict[str, Any]:
    course = edition.course(course_id)
    return {"course_id": course_id, "title": course.title if course else "",
            "status": status_of(item),
            "duration_s": int(item.duration_s) if item and item.duration_s else None,
            "edition_duration_s": course.duration_s if course else None,
            "version": version_of(item.hls_prefix) if item and item.hls_prefix else None,
            "pending_version": item.pending_version if item else None,
            "packaged_at": iso(item.packaged_at) if item else None,
            "error": item.error if item else None}


def list_media(deps: Deps) -> dict[str, Any]:
    """Every course of the current edition with its video's state (never the key)."""
    edition = editions.get_current(deps)
    items = {m.course_id: m for m in media_repo.of_edition(edition.edition_id)}
    return {"edition_id": edition.edition_id,
            "courses": [media_view(edition, c.course_id, items.get(c.course_id))
                        for c in edition.courses]}


# --- packaging (the job step and the dev set-up) ----------------------------------------
def claim(item: CourseMedia, now: datetime) -> CourseMedia | None:
    """The pending upload claimed for ONE packaging, with a fresh key and its own output
    prefix (two job runs racing cannot mix segments of two keys); None when another
    packaging holds it or a newer upload replaced it."""
    key_hex = secrets.token_bytes(hls.KEY_BYTES).hex()
    prefix = hls_prefix(item.edition_id, item.course_id,
                        f"{item.pending_version}{secrets.token_hex(3).upper()}")
    if not media_repo.claim(item, key_hex, prefix, now, now - STALE_CLAIM):
        return None
    item.pending_key_hex, item.pending_prefix, item.claimed_at = key_hex, prefix, now
    item.pending_job = None
    return item


def package_file(deps: Deps, claimed: CourseMedia, source: Path, now: datetime,
                 packager: Any = None) -> int:
    """Package a local source file with the claim's key into the claim's prefix: the
    duration in whole seconds, the movie header's (mp4.py) checked against what the
    packager read."""
    key, iv = bytes.fromhex(str(claimed.pending_key_hex)), secrets.token_bytes(16)
    with source.open("rb") as fh:
        header = fh.read(HEADER_BYTES)
    try:
        seconds: float | None = mp4.duration_seconds(header)
    except mp4.MediaError:
        seconds = None  # not faststart: the packager's reading stands alone
    packaged = (packager or packaging.FfmpegPackager()).package(source, key, iv)
    if seconds is not None and abs(seconds - packaged.duration_s) > 1.0:
        raise packaging.PackagingError(
            f"视频时长不一致（文件头 {seconds:.1f} 秒，解码 {packaged.duration_s:.1f} 秒）")
    store = storage(deps)
    for name, data in packaged.files.items():
        ctype = "application/vnd.apple.mpegurl" if name.endswith(".m3u8") else "video/mp2t"
        store.put_object(VIDEOS, f"{claimed.pending_prefix}{name}", data, ctype)
    return max(1, math.floor(seconds if seconds is not None else packaged.duration_s))


def publish(claimed: CourseMedia, playlist_name: str, duration_s: int, now: datetime) -> bool:
    """The claimant's packaged version becomes the playable one (once)."""
    return media_repo.publish(claimed, str(claimed.pending_prefix), playlist_name, duration_s,
                              ACTOR, now)


def record_durations(deps: Deps, edition_id: str, durations: dict[str, int], actor: str,
                     now: datetime) -> bool:
    """The courses' `duration_s` in the edition become their media's (one conditional
    replace of the edition document, retried when an admin edit won meanwhile)."""
    for _attempt in range(5):
        edition = editions.get_edition(deps, edition_id)
        doc = edition.model_dump(mode="json")
        changed = False
        for course in doc["courses"]:
            value = durations.get(course["course_id"])
            if value is not None and course["duration_s"] != value:
                course["duration_s"] = value
                changed = True
        if not changed:
            return False
        try:
            editions.save_edition(deps, doc, actor, now, create=False, edition_id=edition_id)
            return True
        except EditionConflictError:
            deps._edition_cache.clear()
            time.sleep(0.05)
    raise EditionConflictError()


def package_pending(deps: Deps, edition: Edition, item: CourseMedia, now: datetime) -> str:
    """One pending upload one step further: 'published', 'submitted', 'waiting', 'busy'
    (another run holds it), 'replaced' or 'failed'."""
    claimed: CourseMedia | None = None
    try:
        if deps.settings.is_dev:
            claimed = claim(item, now)
            if claimed is None:
                return "busy"
            with tempfile.TemporaryDirectory(prefix="src-") as tmp:
                path = Path(tmp) / "source.mp4"
                path.write_bytes(storage(deps).get_object(VIDEOS, str(item.pending_source)))
                duration = package_file(deps, claimed, path, now)
            published = publish(claimed, packaging.PLAYLIST, duration, now)
        else:
            mc = deps.adapter("mediaconvert", packaging.MediaConvertPackager)
            if not item.pending_job:
                if item.pending_key_hex and item.claimed_at and item.claimed_at >= now - STALE_CLAIM:
                    return "waiting"  # another run claimed it and is submitting
                claimed = claim(item, now)
                if claimed is None:
                    return "busy"
                bucket = deps.settings.bucket_name(VIDEOS)
                job = mc.submit(f"s3://{bucket}/{item.pending_source}",
                                f"s3://{bucket}/{claimed.pending_prefix}index",
                                bytes.fromhex(str(claimed.pending_key_hex)), secrets.token_bytes(16))
                media_repo.job_submitted(claimed, job, now)
                return "submitted"
            claimed = item
            state, seconds, error = mc.status(item.pending_job)
            if state in ("SUBMITTED", "PROGRESSING"):
                return "waiting"
            if state != "COMPLETE" or not seconds:
                raise packaging.PackagingError(f"MediaConvert: {state} {error or ''}".strip())
            duration = max(1, math.floor(seconds))
            published = publish(item, MEDIACONVERT_PLAYLIST, duration, now)
    except (packaging.PackagingError, hls.PlaylistError) as exc:
        logger.warning("packaging failed", extra={"course_id": item.course_id, "error": str(exc)})
        media_repo.failed(claimed or item, str(exc), now)
        return "failed"
    if published:
        record_durations(deps, edition.edition_id, {item.course_id: duration}, ACTOR, now)
    return "published" if published else "replaced"
