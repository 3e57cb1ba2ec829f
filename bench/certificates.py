"""Benchmark 4: certificates. The generation time and PDF size of one e-certificate
(chalicelib/certificates/pdf.render, as GET /certificates/mine/download makes it)
against a bare fpdf2 page with the same font and the same text (the floor); then a batch of
1,000 certificates with distinct holders, generated one after another in one process (a
warm Lambda on 1 June). The batch stops at a time budget and says how far it got."""
from __future__ import annotations

import random
import statistics
import time
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
    from chalicelib.certificates.pdf import _date, _hours
    body = (f"    您于{_date(d.learning_from)}至{_date(d.learning_to)}参加{d.organizer}"
            f"举办的“{d.training_title}”，完成全部{d.course_count}门课程的在线学习，"
            f"共计 {_hours(d.hours)} 学时，准予结业。特发此证。")
    return ["结业证书", "CERTIFICATE OF COMPLETION", f"{d.holder_name}  同志：", body,
            f"工作单位：{d.unit_name}", f"证书编号：{d.certificate_no}",
            f"发证日期：{_date(d.issued_at)}", "扫描二维码或访问平台“证书查验”核验本证书真伪",
            d.signer_name, _date(d.issued_at), d.seal_text]


def bare_page(d: Any, font_path: str, face_index: int) -> bytes:
    """The floor: one fpdf2 page, the same font (face), the same text, nothing else."""
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


def _interleaved(a: Any, b: Any, k: int) -> tuple[float, bytes, float, bytes]:
    """Median times of `a` and `b`, run alternately so both see the same machine load."""
    ta, tb, out_a, out_b = [], [], b"", b""
    for _ in range(k):
        t0 = time.perf_counter()
        out_a = a()
        ta.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out_b = b()
        tb.append(time.perf_counter() - t0)
    return statistics.median(ta), out_a, statistics.median(tb), out_b


def run(quick: bool = False, batch: int | None = None,
        budget_s: float | None = None) -> list[dict[str, Any]]:
    from chalicelib.certificates.pdf import render
    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path
    path = cjk_font_path()
    font, face = str(path), cjk_face_index(path)
    rng = random.Random(2026)
    sample = _data(0, rng)
    k = 1 if quick else 5
    t0 = time.perf_counter()
    render(sample, font, face)  # first in the process (imports, any cache)
    first_s = time.perf_counter() - t0
    cert_s, cert_pdf, bare_s, bare_pdf = _interleaved(
        lambda: render(sample, font, face), lambda: bare_page(sample, font, face), k)

    n = batch if batch is not None else (3 if quick else 1000)
    budget = budget_s if budget_s is not None else (30.0 if quick else 90.0)
    done, total_bytes = 0, 0
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        total_bytes += len(render(_data(i, rng), font, face))
        done += 1
        if time.perf_counter() - t0 > budget:
            break
    batch_s = time.perf_counter() - t0
    per = batch_s / done
    return [
        entry("certificate.generation", cert_s, bare_s, "s (median)",
              "one certificate (render) vs a bare fpdf2 page with the same font and text",
              first_in_process_s=round(first_s, 3), font=font),
        entry("certificate.pdf_size", len(cert_pdf), len(bare_pdf), "bytes",
              "certificate PDF vs the bare page's PDF"),
        entry("certificate.batch_1000", per * n, bare_s * n, "s",
              f"{n} certificates one after another in one process; measured {done} "
              f"in {batch_s:.1f} s" + ("" if done == n else ", the rest extrapolated"),
              generated=done, target=n, seconds_measured=round(batch_s, 2),
              per_certificate_s=round(per, 4), mean_bytes=int(total_bytes / done),
              complete=done == n),
    ]
