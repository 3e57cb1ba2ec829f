"""Benchmark 4: certificates. The generation time and PDF size of one e-certificate
(chalicelib/certificates/pdf.render, as GET /certificates/mine/download makes it) against
the floor: a bare fpdf2 page printing the same text with a font holding exactly that
page's glyphs (cut from the full face before timing). The same for a holder whose name
needs the full face (喆 玥 堃, read back from the PDF by poppler's pdftotext), the way
certificates were made before (the 19 MB face for every PDF), then a batch of 1,000
certificates with distinct holders, one after another in one process (a warm Lambda on
1 June). The batch stops at a time budget and says how far it got."""
from __future__ import annotations

import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import entry

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红鹏辉建国志宏文斌春燕晶琳玥"
UNITS = ("国家图书馆", "上海图书馆", "首都图书馆", "浙江图书馆", "南京图书馆", "湖南图书馆",
         "深圳图书馆", "北京大学图书馆", "清华大学图书馆", "武汉大学图书馆")


def _data(i: int, rng: random.Random) -> Any:
    from chalicelib.certificates.pdf import CertificateData
    from chalicelib.platform.clock import parse_instant, shanghai
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return CertificateData(
        certificate_no=f"LSC2026-{i:06d}-{i % 10}", holder_name=name,
        unit_name=rng.choice(UNITS), training_title="2026年中国图书馆学会图书馆员在职培训",
        organizer="中国图书馆学会", hours=30.0, course_count=10,
        learning_from=shanghai(parse_instant("2026-04-13T00:00:00+08:00")),
        learning_to=shanghai(parse_instant("2026-06-12T23:59:59+08:00")),
        issued_at=shanghai(parse_instant("2026-06-01T09:00:00+08:00")),
        verify_url=f"https://lsc.example.org/verify.html?no=LSC2026-{i:06d}-{i % 10}",
        signer_name="中国图书馆学会", seal_text="中国图书馆学会")


def _texts(d: Any) -> list[str]:
    """Every string the certificate prints (the floor prints the same)."""
    from chalicelib.certificates.pdf import texts
    return texts(d)


def exact_font(d: Any, directory: str) -> str:
    """A font holding only the glyphs this page prints, cut from the full face (outside the
    timing: this is what the floor's font IS, not a cost of the floor)."""
    from fontTools import subset, ttLib

    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path
    path = cjk_font_path()
    font = ttLib.TTFont(str(path), fontNumber=cjk_face_index(path), lazy=True,
                        recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[],
                             desubroutinize=True, glyph_names=False)
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for t in _texts(d) for c in t})
    subsetter.subset(font)
    out = str(Path(directory) / f"exact-{abs(hash(tuple(_texts(d))))}.otf")
    font.save(out)
    return out


def bare_page(d: Any, font_path: str, face_index: int) -> bytes:
    """The floor: one fpdf2 page, the given font (face), the same text, nothing else."""
    from fpdf import FPDF
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(d.issued_at)
    pdf.add_font("cjk", "", font_path, collection_font_number=face_index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.set_xy(20, 20)
    for text in _texts(d):
        pdf.multi_cell(250, 9, text)
    return bytes(pdf.output())


def _interleaved(fns: dict[str, Any], k: int) -> tuple[dict[str, float], dict[str, bytes]]:
    """Median times of each function, run in turn so all see the same machine load."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    outs: dict[str, bytes] = {}
    for _ in range(k):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}, outs


def _rare(d: Any) -> Any:
    """The same certificate for a holder whose name is outside GB 2312 (玥, 喆, 堃)."""
    import dataclasses
    return dataclasses.replace(d, holder_name="王喆玥", unit_name="堃山图书馆")


def printed(pdf: bytes) -> str:
    """The text poppler reads from a PDF (a glyph missing from the font is not read)."""
    import subprocess
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _receipt_inputs() -> tuple[Any, Any, Any]:
    """An order and edition as the receipt (invoicing/receipt.py) reads them."""
    from types import SimpleNamespace

    from chalicelib.platform.clock import parse_instant
    paid = parse_instant("2026-04-06T10:12:00+08:00")
    order = SimpleNamespace(order_id="O7K3MQ9XP4T", payer_name="张伟", unit_name="国家图书馆",
                            registration_ids=["R1"], amount_fen=80000, channel="alipay",
                            official_card=True, paid_at=paid, status="paid")
    edition = SimpleNamespace(organizer="中国图书馆学会",
                              title="2026年中国图书馆学会图书馆员在职培训")
    return order, edition, paid


def _bare_lines(lines: list[str], font_path: str) -> bytes:
    from fpdf import FPDF
    pdf = FPDF(orientation="P", unit="mm", format=(148, 210))
    pdf.add_font("cjk", "", font_path)
    pdf.add_page()
    pdf.set_font("cjk", size=10)
    for line in lines:
        pdf.multi_cell(128, 6, line)
    return bytes(pdf.output())


def receipt(k: int) -> list[dict[str, Any]]:
    """The payment receipt (交费凭证) PDF as invoicing/receipt.py makes it, against the same
    exact-glyph floor (its printed lines, read back by pdftotext); and the same receipt with
    the common-character font, i.e. once receipt.py picks its font with
    fonts.add_cjk_font (the proposed change; measured by pointing cjk_font_path at the
    common font for this covered text)."""
    try:
        from chalicelib.invoicing.receipt import render_receipt
    except ImportError:
        return []
    from unittest import mock

    from chalicelib.platform import fonts
    order, edition, now = _receipt_inputs()
    made = render_receipt(order, edition, now)
    lines = [line for line in printed(made).splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        from fontTools import subset, ttLib
        path = fonts.cjk_font_path()
        font = ttLib.TTFont(str(path), fontNumber=fonts.cjk_face_index(path), lazy=True)
        options = subset.Options(notdef_outline=True, layout_features=[], desubroutinize=True)
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
        sub = subset.Subsetter(options)
        sub.populate(unicodes={ord(c) for line in lines for c in line})
        sub.subset(font)
        exact = str(Path(tmp) / "receipt-exact.otf")
        font.save(exact)
        common = fonts.common_font_path()
        covered = common is not None and not fonts.missing_from_common(*lines)

        def with_common() -> bytes:
            with mock.patch.object(fonts, "cjk_font_path", lambda: common), \
                    mock.patch.object(fonts, "cjk_face_index", lambda p: 0):
                return bytes(render_receipt(order, edition, now))
        fns = {"receipt": lambda: render_receipt(order, edition, now),
               "floor": lambda: _bare_lines(lines, exact)}
        if covered:
            fns["common"] = with_common
        medians, _outs = _interleaved(fns, k)
    out = [entry("receipt.generation", medians["receipt"], medians["floor"], "s (median)",
                 "the 交费凭证 PDF (invoicing/receipt.py, the full face today) vs a bare page "
                 "of its printed lines with an exact-glyph font; goal <= 2x", goal_ratio=2.0)]
    if covered:
        out.append(entry("receipt.generation_common_font", medians["common"], medians["floor"],
                         "s (median)", "the same receipt once it picks its font with "
                         "fonts.add_cjk_font (the common-character font for this text)"))
    return out


def run(quick: bool = False, batch: int | None = None,
        budget_s: float | None = None) -> list[dict[str, Any]]:
    from chalicelib.certificates.pdf import render
    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path, cjk_font_for
    path = cjk_font_path()
    font, face = str(path), cjk_face_index(path)
    rng = random.Random(2026)
    sample = _data(0, rng)
    sample = dataclasses.replace(sample, holder_name="张伟")  # a GB 2312 name
    rare = _rare(sample)
    k = 1 if quick else 5
    t0 = time.perf_counter()
    render(sample)  # first in the process (imports, the common font's character list)
    first_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        exact, exact_rare = exact_font(sample, tmp), exact_font(rare, tmp)
        medians, outs = _interleaved({
            "cert": lambda: render(sample), "floor": lambda: bare_page(sample, exact, 0),
            "cert_rare": lambda: render(rare), "floor_rare": lambda: bare_page(rare, exact_rare, 0),
            "full_font_page": lambda: bare_page(sample, font, face),
            "cert_full_font": lambda: render(sample, font, face)}, k)
    missing = [c for c in "喆玥堃" if c not in printed(outs["cert_rare"])]
    if missing:
        raise AssertionError(f"rare characters not printed: {missing}")
    common_used = str(cjk_font_for(*_texts(sample))[0]) != font

    n = batch if batch is not None else (3 if quick else 1000)
    budget = budget_s if budget_s is not None else (30.0 if quick else 90.0)
    done, total_bytes, rare_done = 0, 0, 0
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        d = _data(i, rng)
        rare_done += str(cjk_font_for(*_texts(d))[0]) == font
        total_bytes += len(render(d))
        done += 1
        if time.perf_counter() - t0 > budget:
            break
    batch_s = time.perf_counter() - t0
    per = batch_s / done
    floor_s = medians["floor"]
    return receipt(k) + [
        entry("certificate.generation", medians["cert"], floor_s, "s (median)",
              "one certificate (render: frame, QR code, seal, text) vs a bare fpdf2 page "
              "printing the same text with a font holding exactly that page's glyphs; goal "
              "<= 2x", first_in_process_s=round(first_s, 3),
              common_font=common_used, goal_ratio=2.0),
        entry("certificate.generation_rare_name", medians["cert_rare"], medians["floor_rare"],
              "s (median)", "a holder named 王喆玥 of 堃山图书馆 (outside GB 2312: the full "
              "face); vs the exact-glyph page of that text; 喆 玥 堃 read back by pdftotext",
              printed_rare=not missing),
        entry("certificate.full_font_before", medians["cert_full_font"], floor_s,
              "s (median)", "the certificate as it was made before (the 19 MB face parsed for "
              "each PDF) vs the same exact-glyph floor; the old floor (bare page, full face) "
              f"took {medians['full_font_page']:.3f} s",
              old_floor_s=round(medians["full_font_page"], 4)),
        entry("certificate.pdf_size", len(outs["cert"]), len(outs["floor"]), "bytes",
              "certificate PDF vs the exact-glyph page's PDF"),
        entry("certificate.batch_1000", per * n, floor_s * n, "s",
              f"{n} certificates one after another in one process (random names, "
              f"{rare_done} of {done} with a character outside GB 2312); measured {done} "
              f"in {batch_s:.1f} s" + ("" if done == n else ", the rest extrapolated"),
              generated=done, target=n, seconds_measured=round(batch_s, 2),
              per_certificate_s=round(per, 4), mean_bytes=int(total_bytes / done),
              rare_in_batch=rare_done, complete=done == n),
    ]
