"""HLS playlists as plain rules (no storage, no clock): what the packager wrote is kept in
the private videos bucket with relative segment names and a placeholder key URI; what a
trainee's player gets is the same playlist with every segment URI replaced by a
short-lived signed URL and the EXT-X-KEY URI replaced by the platform's key route for the
trainee's play session. Nothing else of the stored playlist is trusted blindly: a playlist
that is not a VOD media playlist with AES-128 encryption is refused (packaging checks it
before it is published)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

KEY_BYTES = 16  # AES-128
KEY_PLACEHOLDER = "key"  # the URI the packager writes; rewritten per session
_KEY_LINE = re.compile(r'^#EXT-X-KEY:(?P<attrs>.*)$')
_MAP_LINE = re.compile(r'^#EXT-X-MAP:.*URI="(?P<uri>[^"]+)"')  # fMP4's init segment
_URI_ATTR = re.compile(r'URI="[^"]*"')


class PlaylistError(ValueError):
    """The stored playlist is not what packaging promises (never shown to trainees)."""


@dataclass(frozen=True)
class MediaPlaylist:
    lines: tuple[str, ...]
    segments: tuple[str, ...]  # segment names (and an fMP4 init segment), in order
    duration_s: float  # sum of EXTINF


def parse(text: str) -> MediaPlaylist:
    """A VOD media playlist whose every segment is AES-128 encrypted."""
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("not an HLS playlist")
    if not any(line == "#EXT-X-ENDLIST" for line in lines):
        raise PlaylistError("not a complete (VOD) playlist")
    segments: list[str] = []
    duration = 0.0
    encrypted = False
    for line in lines:
        key = _KEY_LINE.match(line)
        if key:
            encrypted = "METHOD=AES-128" in key.group("attrs")
            if not encrypted:
                raise PlaylistError("a segment is not AES-128 encrypted")
        elif _MAP_LINE.match(line):
            segments.append(_plain(_MAP_LINE.match(line).group("uri")))  # type: ignore[union-attr]
        elif line.startswith("#EXTINF:"):
            duration += float(line[8:].split(",", 1)[0])
        elif line.startswith("#EXT-X-STREAM-INF"):
            raise PlaylistError("a master playlist, not a media playlist")
        elif not line.startswith("#"):
            if not encrypted:
                raise PlaylistError("a segment before any AES-128 key")
            segments.append(_plain(line))
    if not segments:
        raise PlaylistError("no segments")
    return MediaPlaylist(lines, tuple(segments), duration)


def _plain(name: str) -> str:
    if "/" in name or ":" in name or name.startswith(".") or "?" in name:
        raise PlaylistError("segment names must be plain file names")
    return name


def rewrite(playlist: MediaPlaylist, segment_url: Callable[[str], str], key_uri: str) -> str:
    """The playlist a player gets: signed segment URLs, the platform's key URI."""
    out = []
    for line in playlist.lines:
        if _KEY_LINE.match(line):
            out.append(_URI_ATTR.sub(f'URI="{key_uri}"', line))
        elif (init := _MAP_LINE.match(line)) is not None:
            out.append(_URI_ATTR.sub(f'URI="{segment_url(init.group("uri"))}"', line))
        elif line.startswith("#"):
            out.append(line)
        else:
            out.append(segment_url(line))
    return "\n".join(out) + "\n"
