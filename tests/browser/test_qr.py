"""web/qr.js (our own QR encoder) against segno, module by module, for every mask pattern.
Runs the real file in Chromium (no stack needed: the page is served by a route handler)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]
WEB = Path(__file__).resolve().parents[2] / "web"
CASES = [
    ("weixin://wxpay/bizpayurl?pr=abc123XYZ", "M"),  # a WeChat Pay code_url
    ("http://127.0.0.1:8000/dev/pay/OABCDEFGHJK", "M"),
    ("https://lsc.example.org/verify.html?no=LSC2026-000123", "M"),
    ("hello", "L"),
    ("中文内容 二维码", "M"),  # UTF-8 bytes
    ("y" * 200, "L"),  # version 9
    ("q" * 213, "M"),  # version 10, the largest we support
]


def segno_matrix(text: str, ecl: str, version: int, mask: int) -> list[str]:
    import segno
    from segno import encoder
    original = encoder.write_padding_bits

    def iso_padding(buff, version, length):  # segno adds a zero byte when already aligned
        if length % 8:
            original(buff, version, length)

    encoder.write_padding_bits = iso_padding
    try:
        qr = segno.make(text, error=ecl.lower(), mode="byte", version=version, mask=mask,
                        boost_error=False, micro=False)
    finally:
        encoder.write_padding_bits = original
    return ["".join("1" if c else "0" for c in row) for row in qr.matrix]


@pytest.fixture
def qr_page(browser):
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("http://qr.test/**", lambda route: route.fulfill(
        status=200, content_type="text/javascript" if route.request.url.endswith(".js") else "text/html",
        body=(WEB / "qr.js").read_text() if route.request.url.endswith(".js") else "<!doctype html><p>qr</p>"))
    page.goto("http://qr.test/index.html")
    yield page
    assert not errors
    ctx.close()


def test_matrices_equal_segno_for_every_mask(qr_page):
    result = qr_page.evaluate("""async (cases) => {
        const { encode, qrSvg } = await import("http://qr.test/qr.js");
        return cases.map(([text, ecl]) => {
            const auto = encode(text, { ecl });
            const masks = [];
            for (let m = 0; m < 8; m++) {
                masks.push(encode(text, { ecl, mask: m, version: auto.version }).modules.map((r) => r.map((c) => (c ? "1" : "0")).join("")));
            }
            return { version: auto.version, mask: auto.mask, masks, svg: qrSvg(text, { label: "码" }) };
        });
    }""", CASES)
    for (text, ecl), got in zip(CASES, result):
        for mask in range(8):
            assert got["masks"][mask] == segno_matrix(text, ecl, got["version"], mask), (text, mask)
        assert 0 <= got["mask"] < 8
        assert got["svg"].startswith("<svg") and 'aria-label="码"' in got["svg"]
    assert [r["version"] for r in result] == [3, 3, 4, 1, 2, 9, 10]


def test_too_long_text_is_refused(qr_page):
    message = qr_page.evaluate("""async () => {
        const { encode } = await import("http://qr.test/qr.js");
        try { encode("x".repeat(300)); return "encoded"; } catch (e) { return e.message; }
    }""")
    assert message == "二维码内容过长"
