"""The e-invoice in Chromium: a trainee asks for it (the title is their own name already),
the tax-provider simulator fails it once and issues it on retry, the page follows it from
开具中… to 已开具 by itself, the trainee downloads the simulator's 数电票 PDF with its
20-digit number, and the 交费凭证 separately; inside WeChat both downloads say to open the
page in a real browser. Screenshots at 390×844 and 1366×900."""
from __future__ import annotations

import io
import re
from typing import Any

from tests.browser.conftest import CHROMIUM, Stack  # noqa: F401 - CHROMIUM: the skip reason

WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "").split())


def last_link(page: Any) -> str:
    return str(page.p.evaluate("() => document.body.dataset.lastLink || ''"))


def click_download(page: Any, selector: str) -> str:
    """Click a download button; the short-lived link it opened (in a new tab)."""
    before = last_link(page)
    with page.p.context.expect_page() as tab:
        page.p.locator(selector).first.click()
    tab.value.close()
    page.p.wait_for_function("(b) => (document.body.dataset.lastLink || '') !== b", arg=before)
    return last_link(page)


def test_request_fail_once_issue_and_download_invoice_and_receipt(stack: Stack, new_page: Any) -> None:
    _, token, _ = stack.paid_trainee("李玥")
    stack.ok("POST", "/dev/tax/fail", {"issue": 1})  # the bureau fails the next invoice once
    page = new_page(390, 844)
    page.sign_in(stack, token)
    page.goto("#/orders")
    form = page.p.locator(".invoice form")
    form.wait_for()
    # The title is the trainee's own name already
    assert page.p.locator(".invoice [name=title]").input_value() == "李玥"
    # and the last day is said as the notice says it (paid 04-05: through 5月5日)
    assert "请在 2026年5月5日 24:00 前申请" in form.inner_text()
    page.shot("invoice-01-request-390")
    form.locator("button[type=submit]").click()
    # It is with the tax platform: 开具中…, and the page follows it without a reload
    item = page.p.locator(".invoice-item").first
    item.wait_for()
    assert item.get_attribute("data-invoice-status") in ("requested", "issuing")
    assert "开具中…" in item.inner_text()
    page.shot("invoice-02-issuing-390")
    page.p.locator(".invoice-item[data-invoice-status=issued]").wait_for(timeout=40_000)
    number = page.p.locator(".invoice-item .invoice-number").first.inner_text().strip()
    assert re.fullmatch(r"\d{20}", number), number
    assert "已开具" in item.inner_text()
    page.shot("invoice-03-issued-390")
    page.assert_fits()
    # The download is the provider's document: the simulator's 数电票, 模拟 on its face
    pdf = stack.fetch(click_download(page, ".invoice-item [data-download=pdf]"))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "模拟" in text and number in text and "李玥" in text
    # The 交费凭证 is a separate document, not titled 发票
    receipt = pdf_text(stack.fetch(click_download(page, "[data-receipt]")))
    assert receipt.startswith("交费凭证") and number not in receipt
    assert "发票" not in receipt.split("凭证编号")[0]
    # The same page on a desktop
    wide = new_page(1366, 900)
    wide.sign_in(stack, token)
    wide.goto("#/orders")
    wide.p.locator(".invoice-item[data-invoice-status=issued]").wait_for()
    wide.shot("invoice-04-issued-1366")
    wide.assert_fits()


def test_inside_wechat_downloads_say_open_in_the_browser(stack: Stack, browser: Any) -> None:
    from tests.browser.conftest import Page
    _, token, _ = stack.paid_trainee("王芳")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, user_agent=WECHAT_UA,
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        page = Page(ctx.new_page(), stack.base)
        page.sign_in(stack, token)
        page.goto("#/orders")
        page.p.locator("[data-receipt]").wait_for()
        hint = page.p.locator(".receipt .wechat-hint")
        assert "在浏览器打开" in hint.inner_text()
        page.shot("invoice-05-wechat-hint-390")
        assert not page.errors, page.errors
    finally:
        ctx.close()


def test_nuonuo_sdk_over_http_against_the_running_stack(stack: Stack, capsys: Any) -> None:
    """The outside check a reviewer runs against `make run` (devtools/tax_sdk_check.py):
    nuonuo-sdk's own client, over real HTTP to the local server's simulator."""
    from devtools import tax_sdk_check
    assert tax_sdk_check.main(["--base", stack.base]) == 0
    out = capsys.readouterr().out
    assert "E0000" in out and re.search(r"数电票号码 \d{20}; PDF \d+ bytes; OK", out), out
