"""`make run` step: sample course videos long enough to be watched (2 to 3 minutes each),
packaged exactly as an admin's upload is (learning/media.py: encrypted HLS in the private
videos bucket, the key on the course's media item), and the dev edition's course durations
set from the media, so a newcomer can finish a course in `make run` by watching it.

The clips are made with the ffmpeg binary that the PyPI package imageio-ffmpeg ships
(requirements-dev.txt): a test pattern with a running frame counter and a tone whose pitch
tells the courses apart, H.264 + AAC in MP4 with `faststart`. They are generated once into
.dev/videos/ (gitignored, never committed); the packaging runs at every start (moto keeps
everything in memory)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from chalicelib.platform.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".dev" / "videos" / "v2"
ACTOR = "system:dev_setup"


def seconds_for(index: int) -> int:
    """120 s for the first course, 6 s more for each next one (at most 174 s)."""
    return 120 + 6 * (index % 10)


def ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def make_clip(ffmpeg: str, out: Path, index: int, seconds: int) -> None:
    """A watchable MP4: a moving test pattern with a frame counter and a tone per course.
    Small (about 0.6 MB a minute) and quick to make (a second or two)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp.mp4")  # two stacks may start at once (xdist)
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc=size=426x240:rate=12:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency={330 + 55 * (index % 10)}:duration={seconds}",
           "-c:v", "libx264", "-profile:v", "main", "-pix_fmt", "yuv420p", "-preset", "veryfast",
           "-crf", "34", "-g", "72", "-keyint_min", "72", "-sc_threshold", "0",
           "-c:a", "aac", "-b:a", "32k", "-ac", "1", "-shortest", "-movflags", "+faststart",
           str(tmp)]
    subprocess.run(cmd, check=True, timeout=300)  # noqa: S603 - our ffmpeg, our arguments
    tmp.replace(out)


def run(settings: Settings) -> list[str]:
    from chalicelib.editions import service as editions
    from chalicelib.learning import media
    from chalicelib.platform.deps import get_deps
    from chalicelib.platform.storage import storage
    ffmpeg = ffmpeg_exe()
    if ffmpeg is None:
        return ["Sample videos: skipped (no ffmpeg; `pip install -r requirements-dev.txt`)"]
    deps = get_deps()
    now = deps.now()
    edition = editions.get_current(deps)
    durations: dict[str, int] = {}
    for index, course in enumerate(edition.courses):
        seconds = seconds_for(index)
        clip = CACHE / f"{index % 10}-{seconds}s.mp4"
        if not clip.exists():
            make_clip(ffmpeg, clip, index, seconds)
        version = f"DEV{seconds}S{index}"
        upload = f"{media.upload_prefix(edition.edition_id, course.course_id)}{version}.mp4"
        storage(deps).put_object(media.VIDEOS, upload, clip.read_bytes(), "video/mp4")
        media.media_repo.queue(edition.edition_id, course.course_id, upload, version, ACTOR, now)
        claimed = media.claim(media.media_repo.get(edition.edition_id, course.course_id), now)
        assert claimed is not None  # nobody else packages at start-up
        duration = media.package_file(deps, claimed, clip, now)
        media.publish(claimed, "index.m3u8", duration, now)
        durations[course.course_id] = duration
    media.record_durations(deps, edition.edition_id, durations, ACTOR, now)
    return [f"Sample videos: {len(durations)} courses packaged as encrypted HLS "
            f"({min(durations.values())}-{max(durations.values())} s each; the edition "
            f"{edition.edition_id}'s course durations set from them; clips cached in "
            f"{CACHE})"]
