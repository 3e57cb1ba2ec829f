"""The certificate as poppler (pdftoppm, pdftotext) sees it: the red seal has no black text
under it, the 查验 hint names the corner where the number really is, and the font is the
small common-character one unless a rare character needs the full face (喆 堃 玥 print)."""
from __future__ import annotations

import dataclasses
import re
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.certificates import pdf as cert_pdf
from chalicelib.certificates.pdf import CertificateData, render
from chalicelib.platform import fonts

DAY = datetime(2026, 6, 1, 9, tzinfo=UTC)
DPI = 50
MM = DPI / 25.4


def certificate(**changes: Any) -> CertificateData:
    data = CertificateData("2026-AAAA-BBBB-CCCC-DDDDE", "张伟", "国家图书馆",
                           "2026年中国图书馆学会图书馆员在职培训", "中国图书馆学会", 30, 10, DAY,
                           DAY, DAY, "https://lsc.example.org/verify.html?no=1", "中国图书馆学会",
                           "中国图书馆学会")
    return dataclasses.replace(data, **changes)


def pixels(pdf: bytes) -> tuple[int, int, bytes]:
    """The page as RGB pixels, rendered by poppler (binary PPM: width, height, bytes)."""
    ppm = subprocess.run(["pdftoppm", "-r", str(DPI), "-singlefile", "-"], input=pdf,
                         capture_output=True, check=True).stdout
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert match, ppm[:20]
    return int(match[1]), int(match[2]), ppm[match.end():]


def dark_pixels_in_seal(pdf: bytes, cx: float, cy: float, r: float) -> int:
    """Near-black pixels inside the seal's disk (the seal is red: its darkest channel stays
    high; black or grey text shows all three channels low)."""
    width, height, rgb = pixels(pdf)
    count = 0
    for y in range(int((cy - r) * MM), int((cy + r) * MM) + 1):
        for x in range(int((cx - r) * MM), int((cx + r) * MM) + 1):
            if ((x / MM - cx) ** 2 + (y / MM - cy) ** 2) > (r - 0.5) ** 2:
                continue
            i = 3 * (y * width + x)
            if max(rgb[i], rgb[i + 1], rgb[i + 2]) < 120:
                count += 1
    return count


def words(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each word poppler reads, with its top-left corner in mm."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)
    return [(w, float(x) * 25.4 / 72, float(y) * 25.4 / 72) for x, y, w in found]


def printed(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8").replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("title", ["2026年中国图书馆学会图书馆员在职培训",
                                   "2026年中国图书馆学会图书馆员在职培训暨全国公共图书馆"
                                   "阅读推广与数字资源建设专题研修班（第二期）线上课程"])
def test_no_black_text_under_the_red_seal(title: str) -> None:
    # Given a certificate, with a short and a long training title (the body runs longer)
    data = certificate(training_title=title, signer_name="中国图书馆学会继续教育部")
    pdf = render(data)
    # When poppler renders it
    body_bottom = 0.0
    for word, _x, y in words(pdf):
        if "工作单位" in word:
            body_bottom = y + 8
    cx, cy, r = cert_pdf.seal_box(data, body_bottom)
    # Then the seal's disk holds red only: no black or grey pixel of any text
    assert dark_pixels_in_seal(pdf, cx, cy, r) == 0
    # And the seal is drawn where seal_box says (its red ring is there)
    width, _h, rgb = pixels(pdf)
    x, y = int((cx + r) * MM), int(cy * MM)
    ring = [rgb[3 * (y * width + xx): 3 * (y * width + xx) + 3] for xx in range(x - 3, x + 3)]
    assert any(p[0] > 150 and p[1] < 120 for p in ring)


def test_seal_image_is_placed_clear_of_the_text_too() -> None:
    from io import BytesIO

    import segno
    png = BytesIO()
    segno.make("seal", micro=False).save(png, kind="png", scale=4, dark="#c8102e")
    data = certificate()
    pdf = render(data, seal_image=png.getvalue())
    cx, cy, r = cert_pdf.seal_box(data, 0)
    # The seal image is red-on-white too: nothing black is printed inside its square's disk
    assert dark_pixels_in_seal(pdf, cx, cy, r) == 0


def test_the_check_hint_names_the_corner_where_the_number_is() -> None:
    data = certificate()
    pdf = render(data)
    found = words(pdf)
    [(_w, x, y)] = [(w, x, y) for w, x, y in found if data.certificate_no in w]
    # The number is printed in the bottom-left quarter of the page ...
    assert x < cert_pdf.PAGE_W / 2 and y > cert_pdf.PAGE_H / 2
    # ... and the hint under it says so (and sends people to 证书查验 with it)
    text = printed(pdf)
    assert "左下角的证书编号" in text and "证书查验" in text
    assert "右下角" not in text


def test_the_smallest_font_that_holds_the_text_and_full_face_for_rare_characters() -> None:
    common = fonts.common_font_path()
    assert common is not None, "set-up builds it: devtools/build_font_subset.py"
    level1 = common.with_name(fonts.LEVEL1_FONT_NAME)
    assert fonts.built_fonts() == [level1, common]
    # GB 2312 level 1 only: the smallest font; a level-2 hanzi (璐): the common font
    assert fonts.cjk_font_for(*cert_pdf.texts(certificate())) == (level1, 0)
    assert fonts.cjk_font_for(*cert_pdf.texts(certificate(holder_name="王璐"))) == (common, 0)
    assert fonts.missing_from_common("王喆", "堃", "玥", "张伟") == {"喆", "堃", "玥"}
    full = fonts.cjk_font_path()
    assert fonts.cjk_font_for("王喆") == (full, fonts.cjk_face_index(full))
    # Invisible characters never decide the font
    assert fonts.cjk_font_for("张伟\n\t ") == (level1, 0)
    # Each built font really holds what it was built for (its cmap, read by fontTools)
    from fontTools import ttLib
    for path, wanted in ((level1, fonts.level1_codepoints()), (common, fonts.common_codepoints())):
        cmap = set(ttLib.TTFont(str(path), lazy=True).getBestCmap())
        assert {cp for cp in wanted if 0x4E00 <= cp <= 0x9FFF} <= cmap


def test_a_level2_name_prints_with_the_common_font() -> None:
    text = printed(render(certificate(holder_name="王璐琦")))
    assert "王璐琦同志" in text


def test_rare_characters_print_and_the_common_font_alone_would_drop_them() -> None:
    data = certificate(holder_name="王喆玥", unit_name="堃山图书馆")
    # The chosen font prints them (poppler reads them back from the PDF)
    text = printed(render(data))
    assert "王喆玥同志" in text and "堃山图书馆" in text
    # Forced onto the common font, the same characters are missing: the check is real
    common = fonts.common_font_path()
    assert common is not None
    forced = printed(render(data, str(common), 0))
    assert "喆" not in forced and "玥" not in forced and "王" in forced


def test_common_and_full_face_print_the_same_text() -> None:
    data = certificate()
    full = fonts.cjk_font_path()
    assert printed(render(data)) == printed(render(data, str(full), fonts.cjk_face_index(full)))
