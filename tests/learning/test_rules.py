"""Pure rules: certificate numbers, crediting, answers; and the video signers."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.certificates import numbers as cn
from chalicelib.learning.rules import MAX_CREDIT_S, ProgressState, credit_for, decode_token, encode_token


def test_certificate_numbers_are_random_and_self_checking() -> None:
    nos = {cn.new_certificate_no("2026") for _ in range(2000)}
    assert len(nos) == 2000
    for no in list(nos)[:200]:
        assert cn.normalise(no) == no
        assert cn.normalise(no.lower().replace("-", " ")) == no
        assert all(c in cn.ALPHABET + "-" for c in no)
    assert cn.RANDOM_CHARS * 5 >= 80  # bits of randomness


def test_check_character_catches_typos_and_swaps() -> None:
    no = cn.new_certificate_no("2026")
    raw = no.replace("-", "")
    for i in range(len(raw)):
        for c in cn.ALPHABET:
            if c != raw[i]:
                assert cn.normalise(raw[:i] + c + raw[i + 1:]) is None
    for i in range(len(raw) - 1):
        # Luhn mod N misses one swap only: the first and last symbols ("0Z" <-> "Z0").
        if raw[i] != raw[i + 1] and {raw[i], raw[i + 1]} != {"0", "Z"}:
            swapped = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2:]
            assert cn.normalise(swapped) is None
    assert cn.normalise("") is None and cn.normalise("2026-ÄÄÄÄ") is None


def test_only_the_0z_swap_escapes_the_check() -> None:
    base = "2026" + "7K3MQ9XP4TZR8HWD"
    missed = set()
    for i in range(4, len(base) - 1):
        for a in cn.ALPHABET:
            for b in cn.ALPHABET:
                s = base[:i] + a + b + base[i + 2:]
                t = base[:i] + b + a + base[i + 2:]
                if a != b and cn.check_char(s) == cn.check_char(t):
                    missed.add(a + b)
    assert missed == {"0Z", "Z0"}


def test_confusable_letters_read_as_digits() -> None:
    no = cn.new_certificate_no("2026")
    typed = no.replace("0", "O").replace("1", "I")
    assert cn.normalise(typed) == no


def test_credit_rules() -> None:
    s = ProgressState(last_at_ms=0, high_water_s=100, credited_s=100)
    assert credit_for(s, 130, 30_000).credit_s == 30
    assert credit_for(s, 1000, 30_000).credit_s == 30  # capped by real time
    assert credit_for(s, 1000, 3_600_000).credit_s == MAX_CREDIT_S  # capped per report
    assert credit_for(s, 100, 30_000).new is None  # repeat
    assert credit_for(s, 90, 30_000).new is None  # out of order
    assert credit_for(s, 104, 4_999).new is None  # too soon
    new = credit_for(s, 130, 30_000).new
    assert new == ProgressState(30_000, 130, 130)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(-120, 900)), max_size=60))
def test_credit_never_exceeds_real_time_nor_covers_a_stretch_twice(
        reports: list[tuple[int, int]]) -> None:
    """Any sequence of (seconds since the last report, position jump): the credit total is
    at most the real time elapsed and at most the furthest position reached."""
    state = ProgressState(last_at_ms=0, high_water_s=0, credited_s=0)
    now_ms = position = total = 0
    for wait_s, jump in reports:
        now_ms += wait_s * 1000
        position = max(0, position + jump)
        credit = credit_for(state, position, now_ms)
        assert 0 <= credit.credit_s <= MAX_CREDIT_S
        if credit.new is not None:
            assert credit.new.high_water_s > state.high_water_s
            state = credit.new
        total += credit.credit_s
    assert total == state.credited_s
    assert total <= now_ms // 1000 and total <= state.high_water_s


def test_token_round_trip_and_garbage() -> None:
    s = ProgressState(123, 45, 6)
    assert decode_token(encode_token(s)) == s
    for bad in (None, "", "v2.1.2.3", "v1.a.b.c", "v1.1.2", "v1.-1.2.3"):
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


def test_configured_seal_image_replaces_the_drawn_seal() -> None:
    """The edition's seal image is placed as an image; without it the seal is vector art."""
    from io import BytesIO

    import segno
    from pypdf import PdfReader

    from chalicelib.certificates.pdf import CertificateData, render
    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path
    png = BytesIO()
    segno.make("seal").save(png, kind="png", scale=4)
    day = datetime(2026, 6, 1, 9, tzinfo=UTC)
    data = CertificateData("2026-AAAA-BBBB-CCCC-DDDDE", "张三", "国家图书馆", "培训", "中国图书馆学会",
                           30, 10, day, day, day, "http://x/verify.html?no=1", "中国图书馆学会",
                           "中国图书馆学会")
    path = cjk_font_path()

    def images(pdf: bytes) -> int:
        xobjects = PdfReader(BytesIO(pdf)).pages[0]["/Resources"].get("/XObject") or {}
        return sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")

    assert images(render(data, str(path), cjk_face_index(path))) == 0
    assert images(render(data, str(path), cjk_face_index(path), seal_image=png.getvalue())) == 1
