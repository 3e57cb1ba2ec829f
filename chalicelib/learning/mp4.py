"""A course video's length, read from the media itself: the ISO BMFF (MP4) `mvhd` box
(movie header: timescale and duration). Pure: bytes in, seconds out, so it works on the
first megabytes of an upload in S3 (a `faststart` file has `moov` at the front) without
any binary; packaging cross-checks it with what the packager (ffmpeg, MediaConvert) says."""
from __future__ import annotations

import struct

CONTAINERS = {b"moov"}


class MediaError(ValueError):
    """Not an MP4 we can read the duration of."""


def _boxes(data: bytes, start: int, end: int):  # type: ignore[no-untyped-def]
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        header = 8
        if size == 1:
            if at + 16 > end:
                return
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at
        if size < header:
            raise MediaError("malformed box")
        yield kind, at + header, min(at + size, end)
        at += size


def duration_seconds(data: bytes) -> float:
    """The movie's duration in seconds (mvhd duration / timescale)."""
    for kind, body, end in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for inner, ibody, iend in _boxes(data, body, end):
            if inner != b"mvhd":
                continue
            version = data[ibody]
            if version == 1 and ibody + 32 <= iend:
                timescale, duration = struct.unpack(">IQ", data[ibody + 20:ibody + 32])
            elif ibody + 20 <= iend:
                timescale, duration = struct.unpack(">II", data[ibody + 12:ibody + 20])
            else:
                raise MediaError("truncated movie header")
            if timescale == 0:
                raise MediaError("movie header without a timescale")
            return duration / timescale
    raise MediaError("no movie header (moov/mvhd) in the first bytes: not an MP4 with faststart")
