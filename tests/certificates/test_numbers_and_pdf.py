"""Pure rules of certificates: numbers (random, self-checking, typed from paper) and the
PDF's seal."""
from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.certificates import numbers as cn

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
