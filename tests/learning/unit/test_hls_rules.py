"""The playlist rules (learning/hls.py): what packaging may publish, and what a player gets."""
from __future__ import annotations

import pytest

from chalicelib.learning import hls

KEY = '#EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x00000000000000000000000000000001'


def playlist(*body: str, end: bool = True) -> str:
    return "\n".join(["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:6", *body,
                      *(["#EXT-X-ENDLIST"] if end else [])]) + "\n"


def test_a_packaged_playlist_is_rewritten_for_one_session() -> None:
    p = hls.parse(playlist(KEY, "#EXTINF:6.0,", "seg00000.ts", "#EXTINF:4.5,", "seg00001.ts"))
    assert p.segments == ("seg00000.ts", "seg00001.ts") and p.duration_s == 10.5
    out = hls.rewrite(p, lambda name: f"https://s3.example/{name}?sig=1", "key?session_id=S1&v=V1")
    assert 'URI="key?session_id=S1&v=V1"' in out and "IV=0x00000000000000000000000000000001" in out
    assert "https://s3.example/seg00001.ts?sig=1" in out and "\nseg00000.ts" not in out


def test_an_fmp4_init_segment_is_signed_like_the_others() -> None:
    p = hls.parse(playlist(KEY, '#EXT-X-MAP:URI="init.mp4"', "#EXTINF:6.0,", "seg0.m4s"))
    assert p.segments == ("init.mp4", "seg0.m4s")
    out = hls.rewrite(p, lambda name: f"https://cdn/{name}?s", "key")
    assert '#EXT-X-MAP:URI="https://cdn/init.mp4?s"' in out


@pytest.mark.parametrize("text", [
    "not a playlist",
    playlist(KEY, "#EXTINF:6.0,", "seg0.ts", end=False),  # live, not VOD
    playlist("#EXTINF:6.0,", "seg0.ts"),  # clear text
    playlist('#EXT-X-KEY:METHOD=NONE', "#EXTINF:6.0,", "seg0.ts"),
    playlist(KEY, "#EXTINF:6.0,", "https://elsewhere/seg0.ts"),  # not ours to sign
    playlist(KEY, "#EXTINF:6.0,", "../seg0.ts"),
    playlist(KEY, '#EXT-X-MAP:URI="https://x/init.mp4"', "#EXTINF:6.0,", "seg0.m4s"),
    playlist("#EXT-X-STREAM-INF:BANDWIDTH=1", "low.m3u8"),  # a master playlist
    playlist(KEY),  # no segments
])
def test_what_packaging_may_not_publish(text: str) -> None:
    with pytest.raises(hls.PlaylistError):
        hls.parse(text)
