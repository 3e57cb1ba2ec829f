"""`make run` step: small sample videos, generated here, uploaded to the videos bucket under
every seeded course's key, so playback works locally. No video is committed.

The clips are made with the ffmpeg binary that the PyPI package imageio-ffmpeg ships
(requirements-dev.txt; a system ffmpeg on PATH is used when present): a few seconds of
a test pattern and a tone per course, H.264 + AAC in MP4 with `faststart`, so browsers
stream it. They are cached in .dev/videos and uploaded only when missing."""
from __future__ import annotations

import json
import shutil
import os
import subprocess
from pathlib import Path
from typing import Any

from chalicelib.platform.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".dev" / "videos"
SECONDS = 6


def ffmpeg_exe() -> str | None:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def make_clip(ffmpeg: str, out: Path, index: int, seconds: int = SECONDS) -> None:
    """A short MP4: a moving test pattern and a tone whose pitch tells the courses apart."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp.mp4")  # two stacks may start at once (xdist)
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency={330 + 55 * index}:duration={seconds}",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "30",
           "-c:a", "aac", "-b:a", "64k", "-shortest", "-movflags", "+faststart", str(tmp)]
    subprocess.run(cmd, check=True, timeout=120)
    tmp.replace(out)


def _courses() -> list[tuple[str, Any]]:
    from chalicelib.editions.edition import Edition
    from chalicelib.editions.service import DATA_DIR
    pairs = []
    for path in sorted(DATA_DIR.glob("*.json")):
        edition = Edition.model_validate(json.loads(path.read_text("utf-8")))
        pairs.extend((edition.video_key(c), edition) for c in edition.courses)
    return pairs


def run(settings: Settings) -> list[str]:
    from chalicelib.platform.aws import client
    s3 = client(settings, "s3")
    bucket = settings.bucket_name("videos")
    ffmpeg = ffmpeg_exe()
    if ffmpeg is None:
        return ["Sample videos: skipped (no ffmpeg; `pip install -r requirements-dev.txt`)"]
    uploaded = 0
    pairs = _courses()
    for index, (key, _edition) in enumerate(pairs):
        try:
            s3.head_object(Bucket=bucket, Key=key)
            continue
        except s3.exceptions.ClientError:
            pass
        clip = CACHE / key
        if not clip.exists():
            make_clip(ffmpeg, clip, index % 10)
        s3.put_object(Bucket=bucket, Key=key, Body=clip.read_bytes(), ContentType="video/mp4")
        uploaded += 1
    return [f"Sample videos: {uploaded} uploaded, {len(pairs) - uploaded} already there "
            f"(s3://{bucket}/<edition>/<course>.mp4, {SECONDS} s each)"]
