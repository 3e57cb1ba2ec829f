"""web/qr.js (qrcode-generator, vendored from npm) checked by things we did not write: each
QR code, drawn in Chromium as the page draws it, is read back by the zxing-cpp decoder, and
its modules equal segno's symbol for the same version and mask. No stack needed: the files
are served by a route handler."""
from __future__ import annotations

import io
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
    ("q" * 600, "M"),  # version 19: beyond the old hand-written encoder's 10
]


def segno_matrices(text: str, ecl: str, version: int) -> list[list[str]]:
    """segno's symbol for each of the 8 masks (segno pads like the standard once its extra
    zero byte, added when the data is already byte-aligned, is turned off)."""
    import segno
    from segno import encoder
    original = encoder.write_padding_bits

    def iso_padding(buff, version, length):
        if length % 8:
            original(buff, version, length)

    encoder.write_padding_bits = iso_padding
    try:
        return [["".join("1" if c else "0" for c in row)
                 for row in segno.make(text, error=ecl.lower(), mode="byte", version=version, mask=m,
                                       boost_error=False, micro=False).matrix] for m in range(8)]
    finally:
        encoder.write_padding_bits = original


@pytest.fixture
def qr_page(browser):
    ctx = browser.new_context(viewport={"width": 900, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def serve(route):
        path = route.request.url.split("http://qr.test/", 1)[1]
        if path.endswith(".js"):
            route.fulfill(status=200, content_type="text/javascript", body=(WEB / path).read_text())
        else:
            route.fulfill(status=200, content_type="text/html",
                          body="<!doctype html><body style='margin:0;background:#fff'><div id=qr></div>")

    page.route("http://qr.test/**", serve)
    page.goto("http://qr.test/index.html")
    yield page
    assert not errors
    ctx.close()


def decode_png(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
            if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_drawn_codes_decode_to_their_text_and_equal_segno(qr_page):
    assert (WEB / "vendor" / "qrcode-generator.js").exists(), "run .venv/bin/python -m devtools.vendor_web"
    versions = []
    for text, ecl in CASES:
        got = qr_page.evaluate("""async ([text, ecl]) => {
            const { encode, qrSvg } = await import("http://qr.test/qr.js");
            const box = document.getElementById("qr");
            box.innerHTML = qrSvg(text, { label: "码", ecl });
            box.firstChild.setAttribute("width", "800");
            box.firstChild.setAttribute("height", "800");
            const code = encode(text, { ecl });
            return { version: code.version, rows: code.modules.map((r) => r.map((c) => (c ? "1" : "0")).join("")),
                     label: box.firstChild.getAttribute("aria-label"), role: box.firstChild.getAttribute("role") };
        }""", [text, ecl])
        # Read back from the pixels Chromium drew, by a decoder we did not write
        png = qr_page.locator("#qr svg").screenshot()
        assert decode_png(png) == [text], text
        # and module by module the standard's symbol for one of the 8 masks
        assert got["rows"] in segno_matrices(text, ecl, got["version"]), text
        assert got["label"] == "码" and got["role"] == "img"
        versions.append(got["version"])
    assert versions == [3, 3, 4, 1, 2, 9, 19]


def test_too_long_text_is_refused(qr_page):
    message = qr_page.evaluate("""async () => {
        const { encode } = await import("http://qr.test/qr.js");
        try { encode("x".repeat(3000)); return "encoded"; } catch (e) { return e.message; }
    }""")
    assert message == "二维码内容过长"
