"""The e-certificate (电子结业证书) as a PDF: A4 landscape, Chinese text in the CJK font
(only the glyphs used are embedded), a vector seal (or the edition's seal image), and a QR
code to the public verification page. fpdf2 and segno are imported inside `render` only:
this module is imported only where a certificate is made."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

RED = (200, 16, 46)
INK = (34, 34, 34)
GOLD = (176, 141, 87)
PAGE_W, PAGE_H = 297.0, 210.0


@dataclass(frozen=True)
class CertificateData:
    certificate_no: str
    holder_name: str
    unit_name: str
    training_title: str
    organizer: str
    hours: float
    course_count: int
    learning_from: datetime  # local dates (Asia/Shanghai) for display
    learning_to: datetime
    issued_at: datetime
    verify_url: str
    signer_name: str
    seal_text: str


def _date(at: datetime) -> str:
    return f"{at.year}年{at.month}月{at.day}日"


def _hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


HINT = ("扫描左侧二维码，或在平台“证书查验”页", "输入左下角的证书编号，核验本证书真伪")
# The seal sits right of the issuer's name and date, never over black text (issue 17).
SEAL_R, SEAL_CX, SEAL_CY = 20.0, 238.0, 150.0
SIGNER_RIGHT = 210.0  # the issuer's name and date end here, left of the seal


def body_text(data: CertificateData) -> str:
    return (f"    您于{_date(data.learning_from)}至{_date(data.learning_to)}参加{data.organizer}"
            f"举办的“{data.training_title}”，完成全部{data.course_count}门课程的在线学习，"
            f"共计 {_hours(data.hours)} 学时，准予结业。特发此证。")


def texts(data: CertificateData) -> list[str]:
    """Every string the certificate prints (the font is chosen to hold them all)."""
    return ["结业证书", "CERTIFICATE OF COMPLETION", f"{data.holder_name}  同志：",
            body_text(data), f"工作单位：{data.unit_name}", f"证书编号：{data.certificate_no}",
            f"发证日期：{_date(data.issued_at)}", *HINT, data.signer_name, _date(data.issued_at),
            data.seal_text]


def seal_box(data: CertificateData, body_bottom: float) -> tuple[float, float, float]:
    """The seal's centre and radius (mm): at its place, lower if the body runs long."""
    return SEAL_CX, max(SEAL_CY, body_bottom + 3 + SEAL_R), SEAL_R


def render(data: CertificateData, font_path: str | None = None, face_index: int = 0,
           seal_image: bytes | None = None) -> bytes:
    """The certificate's bytes. Deterministic for the same data (creation date = issue
    time), so a second rendering after a crash produces the same document. Without
    `font_path`, the font is the small common-character one unless a character needs the
    full face (chalicelib/platform/fonts.py)."""
    from fpdf import FPDF

    from chalicelib.platform.fonts import add_cjk_font

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(data.issued_at)
    pdf.set_title(f"结业证书 {data.certificate_no}")
    pdf.set_author(data.organizer)
    pdf.set_subject(data.training_title)
    pdf.set_auto_page_break(False)
    if font_path is None:
        add_cjk_font(pdf, "cjk", *texts(data))
    else:
        pdf.add_font("cjk", "", font_path, collection_font_number=face_index)
    pdf.add_page()

    # Frame: an outer gold rule and an inner thin one.
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(1.6)
    pdf.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, PAGE_W - 28, PAGE_H - 28)

    # Title.
    pdf.set_text_color(*RED)
    pdf.set_font("cjk", size=40)
    pdf.set_char_spacing(12)
    pdf.set_xy(0, 30)
    pdf.cell(PAGE_W, 18, "结业证书", align="C")
    pdf.set_char_spacing(0)
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(*GOLD)
    pdf.set_xy(0, 50)
    pdf.cell(PAGE_W, 6, "CERTIFICATE OF COMPLETION", align="C")

    # Body.
    pdf.set_text_color(*INK)
    pdf.set_font("cjk", size=20)
    pdf.set_xy(40, 70)
    pdf.cell(0, 12, f"{data.holder_name}  同志：")
    pdf.set_font("cjk", size=15)
    pdf.set_xy(40, 86)
    pdf.multi_cell(PAGE_W - 80, 10, body_text(data), align="J")
    pdf.set_xy(40, pdf.get_y() + 2)
    pdf.set_font("cjk", size=13)
    pdf.multi_cell(PAGE_W - 80, 8, f"工作单位：{data.unit_name}")
    body_bottom = pdf.get_y()

    # Bottom left: QR code, number and date, and where to check them.
    _qr(pdf, data.verify_url, x=32, y=140, size=34)
    pdf.set_font("cjk", size=11)
    pdf.set_text_color(*INK)
    pdf.set_xy(70, 148)
    pdf.cell(0, 7, f"证书编号：{data.certificate_no}")
    pdf.set_xy(70, 156)
    pdf.cell(0, 7, f"发证日期：{_date(data.issued_at)}")
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(110, 110, 110)
    for k, line in enumerate(HINT):
        pdf.set_xy(70, 164 + 5 * k)
        pdf.cell(0, 5, line)

    # Bottom right: the issuer and the date, right-aligned; the seal beside them.
    cx, cy, r = seal_box(data, body_bottom)
    pdf.set_text_color(*INK)
    for k, line in enumerate((data.signer_name, _date(data.issued_at))):
        size = 15.0
        pdf.set_font("cjk", size=size)
        while size > 9 and pdf.get_string_width(line) > 75:  # a long issuer name shrinks
            size -= 1
            pdf.set_font("cjk", size=size)
        pdf.set_xy(SIGNER_RIGHT - 75, cy - 4 + 10 * k)
        pdf.cell(75, 9, line, align="R")
    if seal_image:
        pdf.image(BytesIO(seal_image), x=cx - r, y=cy - r, w=2 * r, h=2 * r)
    else:
        _seal(pdf, cx, cy, r, data.seal_text)
    return bytes(pdf.output())


def _qr(pdf: object, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (no raster image, no Pillow)."""
    import segno
    qr = segno.make(url, error="m", micro=False)
    rows = list(qr.matrix)
    n = len(rows)
    cell = size / n
    pdf.set_fill_color(0, 0, 0)  # type: ignore[attr-defined]
    for j, row in enumerate(rows):
        i = 0
        while i < n:  # one rectangle per horizontal run of dark modules
            if row[i]:
                start = i
                while i < n and row[i]:
                    i += 1
                pdf.rect(x + start * cell, y + j * cell, (i - start) * cell, cell, style="F")  # type: ignore[attr-defined]
            else:
                i += 1


def _seal(pdf: object, cx: float, cy: float, r: float, text: str) -> None:
    """The association's seal as vector art: a red ring, a five-pointed star, and the name
    along the upper arc."""
    p = pdf
    p.set_draw_color(*RED)  # type: ignore[attr-defined]
    p.set_fill_color(*RED)  # type: ignore[attr-defined]
    p.set_text_color(*RED)  # type: ignore[attr-defined]
    p.set_line_width(1.3)  # type: ignore[attr-defined]
    p.circle(cx, cy, r, style="D")  # type: ignore[attr-defined]
    # Star: five outer points, pointing up.
    points = []
    r_out, r_in = r * 0.30, r * 0.30 * 0.382
    for k in range(10):
        radius = r_out if k % 2 == 0 else r_in
        angle = math.radians(-90 + k * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    p.polygon(points, style="F")  # type: ignore[attr-defined]
    # Arc text: characters spread over ~220 degrees of the upper arc, each upright to the
    # centre.
    chars = list(text)
    size = max(9.0, min(16.0, 210.0 / max(len(chars), 1)))
    p.set_font("cjk", size=size)  # type: ignore[attr-defined]
    span = min(220.0, 24.0 * len(chars))
    text_r = r - 2.2 - size * 0.3528 * 0.85  # font size pt -> mm
    for k, ch in enumerate(chars):
        theta = -90 - span / 2 + span * (k + 0.5) / len(chars)  # degrees, 0 = east
        rad = math.radians(theta)
        tx, ty = cx + text_r * math.cos(rad), cy + text_r * math.sin(rad)
        w = p.get_string_width(ch)  # type: ignore[attr-defined]
        # fpdf's rotation is counter-clockwise in degrees; the glyph's up should point out.
        with p.rotation(-(theta + 90), tx, ty):  # type: ignore[attr-defined]
            p.text(tx - w / 2, ty + size * 0.3528 * 0.35, ch)  # type: ignore[attr-defined]
