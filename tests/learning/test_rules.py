"""Pure rules: crediting, tokens; and the video signers."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.learning.rules import MAX_CREDIT_S, MAX_INTERVALS, ProgressState, covered_s, credit_for, decode_token, encode_token


def test_credit_rules() -> None:
    s = ProgressState(last_at_ms=0, high_water_s=100, credited_s=100, cursor_s=100,
                      watched=((0, 100),))
    assert credit_for(s, 130, 30_000).credit_s == 30
    assert credit_for(s, 1000, 30_000).credit_s == 30  # capped by real time
    assert credit_for(s, 1000, 3_600_000).credit_s == MAX_CREDIT_S  # capped per report
    assert credit_for(s, 100, 30_000).new is None  # repeat
    assert credit_for(s, 90, 30_000).new is None  # out of order
    assert credit_for(s, 104, 4_999).new is None  # too soon
    new = credit_for(s, 130, 30_000).new
    assert new == ProgressState(30_000, 130, 130, 130, ((0, 130),))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(-120, 900)), max_size=60))
def test_credit_never_exceeds_real_time_nor_covers_a_second_twice(
        reports: list[tuple[int, int]]) -> None:
    """Any sequence of (seconds since the last report, position jump): the credit total is
    at most the real time elapsed, and it is exactly the seconds covered (each once),
    all of them inside what the player reached."""
    state = ProgressState(last_at_ms=0, high_water_s=0, credited_s=0)
    now_ms = position = total = furthest = 0
    for wait_s, jump in reports:
        now_ms += wait_s * 1000
        position = max(0, position + jump)
        furthest = max(furthest, position)
        credit = credit_for(state, position, now_ms)
        assert 0 <= credit.credit_s <= MAX_CREDIT_S
        if credit.new is not None:
            assert covered_s(credit.new.watched) - covered_s(state.watched) >= credit.credit_s
            state = credit.new
        total += credit.credit_s
        watched = state.watched
        assert list(watched) == sorted(watched) and len(watched) <= MAX_INTERVALS
        assert all(a < b < c for (a, b), (c, _d) in zip(watched, watched[1:]))
    assert total == state.credited_s <= covered_s(state.watched)
    if len(state.watched) < MAX_INTERVALS:
        assert total == covered_s(state.watched)
    assert total <= now_ms // 1000 and all(b <= furthest for _a, b in state.watched)


def test_token_round_trip_and_garbage() -> None:
    s = ProgressState(123, 45, 6)
    assert decode_token(encode_token(s)) == s
    s = ProgressState(123, 3060, 36, 3060, ((0, 6), (3030, 3060)))
    assert encode_token(s) == "v2.123.3060.36.3060.0-6,3030-3060"
    assert decode_token(encode_token(s)) == s
    for bad in (None, "", "v2.1.2.3", "v1.a.b.c", "v1.1.2", "v1.-1.2.3", "v1.1.2.3",
                "v2.1.2.3.4.5-1", "v2.1.2.3.4.0-5,3-9", "v2.1.2.3.4.0-5,x"):
        assert decode_token(bad) is None


def test_s3_signer_is_inline_and_short_lived(deps: Any) -> None:
    from chalicelib.learning.video import S3VideoSigner
    now = datetime(2026, 4, 13, tzinfo=UTC)
    out = S3VideoSigner(deps).sign("2026/C01.mp4", 300, now)
    q = parse_qs(urlparse(out["url"]).query)
    assert q["response-content-disposition"] == ["inline"]
    assert q["response-content-type"] == ["video/mp4"]
    assert q["X-Amz-Expires"] == ["300"]
    assert (out["expires_at"] - now).total_seconds() == 300


def test_cloudfront_signer_signature_verifies() -> None:
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from chalicelib.learning.video import CloudFrontVideoSigner
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    real = datetime(2026, 4, 13, 1, 0, tzinfo=UTC)
    signer = CloudFrontVideoSigner("d111.cloudfront.net", "K2JCJMDEHXQW5F", pem,
                                   real_now=lambda: real)
    out = signer.sign("2026/C01.mp4", 300, real)
    parsed = urlparse(out["url"])
    assert parsed.netloc == "d111.cloudfront.net" and parsed.path == "/2026/C01.mp4"
    q = parse_qs(parsed.query)
    expires = int(q["Expires"][0])
    assert expires == int(real.timestamp()) + 300 and q["Key-Pair-Id"] == ["K2JCJMDEHXQW5F"]
    policy = ('{"Statement":[{"Resource":"https://d111.cloudfront.net/2026/C01.mp4",'
              f'"Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}')
    sig = q["Signature"][0].replace("-", "+").replace("_", "=").replace("~", "/")
    key.public_key().verify(base64.b64decode(sig), policy.encode(), padding.PKCS1v15(),
                            hashes.SHA1())  # noqa: S303 - CloudFront's scheme


def test_edition_rejects_incomplete_cloudfront_config() -> None:
    from chalicelib.editions.edition import VideoDelivery
    with pytest.raises(ValueError):
        VideoDelivery(signer="cloudfront", cloudfront_domain="d.example")
