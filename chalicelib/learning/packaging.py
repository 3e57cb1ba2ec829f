"""Packaging a course video as HLS with AES-128 segment encryption: the outside world of
the media steps, chosen by the stage (never by data).

- `FfmpegPackager` (dev and test): the ffmpeg binary the PyPI package imageio-ffmpeg ships
  (requirements-dev.txt, imported only here and only when packaging runs). H.264/AAC
  sources are segmented as they are (`-c copy`); anything else is transcoded to H.264/AAC.
  The key is given through `-hls_key_info_file`; the playlist's key URI is the placeholder
  `hls.KEY_PLACEHOLDER`, rewritten per play session by the playlist route.
- `MediaConvertPackager` (prod): an AWS Elemental MediaConvert job with the same output
  (HLS, 6-second segments, AES-128 with a static key, the IV in the manifest), written to
  the same prefix of the private videos bucket; its role is `MEDIACONVERT_ROLE_ARN`
  (infra/stacks/video.py). The job step submits it and later reads its state.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.learning import hls

SEGMENT_S = 6
PLAYLIST = "index.m3u8"
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


class PackagingError(RuntimeError):
    """The source could not be packaged (its reason is kept on the media item)."""


@dataclass(frozen=True)
class Packaged:
    files: dict[str, bytes]  # name -> bytes: the playlist and its segments
    duration_s: float  # what the packager read from the media


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # a prod bundle has no ffmpeg: MediaConvert packages there
        raise PackagingError("ffmpeg is not installed (pip install -r requirements-dev.txt)") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def probe(ffmpeg: str, path: Path) -> tuple[float, str]:
    """(duration in seconds, ffmpeg's description of the streams), from `ffmpeg -i`."""
    run = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True,  # noqa: S603 - our ffmpeg, our arguments
                         text=True, timeout=60, check=False)
    info = run.stderr
    found = _DURATION.search(info)
    if not found:
        raise PackagingError("无法读取视频时长（不是可识别的视频文件）")
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds), info


class FfmpegPackager:
    def __init__(self, ffmpeg: str | None = None) -> None:
        self._ffmpeg = ffmpeg or ffmpeg_exe()

    def package(self, source: Path, key: bytes, iv: bytes) -> Packaged:
        duration, info = probe(self._ffmpeg, source)
        if "Video:" not in info:
            raise PackagingError("文件中没有视频流")
        copy = "Video: h264" in info and ("Audio:" not in info or "Audio: aac" in info)
        codec = ["-c", "copy"] if copy else [
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p",
            "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_S})", "-c:a", "aac", "-b:a", "96k"]
        with tempfile.TemporaryDirectory(prefix="hls-") as tmp:
            out = Path(tmp)
            (out / "key.bin").write_bytes(key)
            (out / "keyinfo").write_text(f"{hls.KEY_PLACEHOLDER}\n{out / 'key.bin'}\n{iv.hex()}\n")
            cmd = [self._ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
                   "-map", "0:v:0", "-map", "0:a:0?", *codec, "-f", "hls",
                   "-hls_time", str(SEGMENT_S), "-hls_playlist_type", "vod",
                   "-hls_key_info_file", str(out / "keyinfo"),
                   "-hls_segment_filename", str(out / "seg%05d.ts"), str(out / PLAYLIST)]
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)  # noqa: S603 - our ffmpeg, our arguments
            if run.returncode != 0:
                raise PackagingError(f"视频打包失败：{run.stderr.strip()[-300:]}")
            files = {p.name: p.read_bytes() for p in sorted(out.iterdir())
                     if p.name == PLAYLIST or p.suffix == ".ts"}
        hls.parse(files[PLAYLIST].decode())  # what we publish is what the routes expect
        return Packaged(files, duration)


def mediaconvert_job(source_uri: str, destination_uri: str, key: bytes, iv: bytes,
                     role_arn: str) -> dict[str, Any]:
    """CreateJob's arguments: one H.264/AAC rendition as HLS, AES-128 with a static key
    (the platform keeps the key; the manifest's key URI is the placeholder)."""
    return {
        "Role": role_arn,
        "Settings": {
            "Inputs": [{"FileInput": source_uri,
                        "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
                        "TimecodeSource": "ZEROBASED"}],
            "OutputGroups": [{
                "Name": "HLS",
                "OutputGroupSettings": {
                    "Type": "HLS_GROUP_SETTINGS",
                    "HlsGroupSettings": {
                        "Destination": destination_uri,
                        "SegmentLength": SEGMENT_S, "MinSegmentLength": 0,
                        "ManifestDurationFormat": "FLOATING_POINT",
                        "OutputSelection": "MANIFESTS_AND_SEGMENTS",
                        "DirectoryStructure": "SINGLE_DIRECTORY",
                        "Encryption": {
                            "Type": "STATIC_KEY",
                            "EncryptionMethod": "AES128",
                            "ConstantInitializationVector": iv.hex(),
                            "InitializationVectorInManifest": "INCLUDE",
                            "StaticKeyProvider": {"StaticKeyValue": key.hex(),
                                                  "Url": hls.KEY_PLACEHOLDER},
                        },
                    },
                },
                "Outputs": [{
                    "NameModifier": "_720p",
                    "ContainerSettings": {"Container": "M3U8"},
                    "VideoDescription": {
                        "Width": 1280, "Height": 720,
                        "CodecSettings": {"Codec": "H_264", "H264Settings": {
                            "RateControlMode": "QVBR", "MaxBitrate": 2_500_000,
                            "QvbrSettings": {"QvbrQualityLevel": 7},
                            "GopSize": SEGMENT_S, "GopSizeUnits": "SECONDS",
                            "SceneChangeDetect": "TRANSITION_DETECTION"}}},
                    "AudioDescriptions": [{"CodecSettings": {"Codec": "AAC", "AacSettings": {
                        "Bitrate": 96000, "CodingMode": "CODING_MODE_2_0",
                        "SampleRate": 48000}}}],
                }],
            }],
        },
        "UserMetadata": {"platform": "lsc-training"},
    }


class MediaConvertPackager:
    def __init__(self, deps: Any) -> None:
        from chalicelib.platform.aws import client
        self._client = client(deps.settings, "mediaconvert")
        self._role = deps.settings.mediaconvert_role_arn

    def submit(self, source_uri: str, destination_uri: str, key: bytes, iv: bytes) -> str:
        if not self._role:
            raise PackagingError("MEDIACONVERT_ROLE_ARN is not configured")
        job = self._client.create_job(**mediaconvert_job(source_uri, destination_uri, key, iv,
                                                         self._role))
        return str(job["Job"]["Id"])

    def status(self, job_id: str) -> tuple[str, float | None, str | None]:
        """(COMPLETE | ERROR | CANCELED | SUBMITTED | PROGRESSING, duration s, error)."""
        job = self._client.get_job(Id=job_id)["Job"]
        duration = None
        for group in job.get("OutputGroupDetails", []):
            for detail in group.get("OutputDetails", []):
                if detail.get("DurationInMs"):
                    duration = detail["DurationInMs"] / 1000
        return str(job["Status"]), duration, job.get("ErrorMessage")
