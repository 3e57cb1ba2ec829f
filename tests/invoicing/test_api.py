"""Invoices through the HTTP API (chalice test client, real tokens), the 交费凭证 PDF, and
hostile calls to the tax-provider simulator."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from tests.invoicing.factories import BAD_CODE, UNIT_CODE, make_order

PAID = parse_instant("2026-04-05T09:00:00+08:00")


def sub_of(api, token: str) -> str:
    r = api.get("/me", token)
    assert r.status_code == 200, r.body
    return str(r.data["user_id"])


def test_request_download_list_and_reverse(api, deps, clock):
    # Given a trainee with a paid order paid by official card
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID, official_card=True)
    # A bad credit code is a 400 naming the field
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "国家图书馆",
                                           "credit_code": BAD_CODE})
    assert r.status_code == 400 and r.data["field"] == "credit_code", r.body
    # A missing title too
    r = api.post("/invoices", token, json={"order_id": order.order_id})
    assert r.status_code == 400 and r.data["field"] == "title"
    # When the trainee asks with the unit's valid code
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "国家图书馆",
                                           "credit_code": UNIT_CODE})
    assert r.status_code == 201, r.body
    invoice = r.data
    assert invoice["item"] == "培训费" and invoice["amount_fen"] == 49000
    # a second request is a 409 naming the invoice
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"})
    assert r.status_code == 409 and r.data["Code"] == "INVOICE_EXISTS"
    assert r.data["invoice_id"] == invoice["invoice_id"]
    # the download is a short-lived link; /invoices/mine lists it
    r = api.get(f"/invoices/{invoice['invoice_id']}/download", token)
    assert r.status_code == 200 and r.data["url"].startswith("http")
    assert r.data["expires_at"] == "2026-04-05T10:05:00+08:00"
    r = api.get("/invoices/mine", token)
    assert [i["invoice_id"] for i in r.data["invoices"]] == [invoice["invoice_id"]]
    # someone else gets a 404 for it, a trainee cannot list or reverse
    _, other = api.signup(name="李四")
    assert api.get(f"/invoices/{invoice['invoice_id']}/download", other).status_code == 404
    assert api.get("/admin/invoices", token).status_code == 403
    # finance lists and reverses it
    finance = api.staff("finance")
    r = api.get("/admin/invoices", finance)
    assert r.status_code == 200 and [i["invoice_no"] for i in r.data["invoices"]] == ["2026-000001"]
    r = api.post(f"/admin/invoices/{invoice['invoice_id']}/reverse", finance, json={})
    assert r.status_code == 400 and r.data["field"] == "reason"
    r = api.post(f"/admin/invoices/{invoice['invoice_id']}/reverse", finance,
                 json={"reason": "抬头有误"})
    assert r.status_code == 200, r.body
    assert r.data["reversal"]["amount_fen"] == -49000 and r.data["original"]["status"] == "reversed"
    # and the trainee may ask again
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"})
    assert r.status_code == 201 and r.data["invoice_no"] == "2026-000003"


def test_window_closed_is_a_409_naming_the_window(api, clock):
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID)
    clock.set(parse_instant("2026-05-05T23:59:59+08:00") + timedelta(seconds=1))
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"})
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_CLOSED"
    assert r.data["window"] == "invoice" and r.data["closes_at"] == "2026-05-06T00:00:00+08:00"
    assert "2026年5月5日 24:00" in r.data["Message"]  # the last day, as the notice says it


def pdf_text(data: bytes) -> str:
    """The page's text without the spacing pypdf puts between CID glyphs."""
    from pypdf import PdfReader
    raw = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return "".join(raw.replace("\x00", "").split())


def test_the_receipt_is_a_payment_proof_never_titled_invoice(api, deps, clock, tmp_path):
    """GET /orders/{id}/receipt: the 交费凭证 PDF (pypdf reads it; pdftoppm renders it)."""
    import requests
    from pypdf import PdfReader
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID, official_card=True)
    r = api.get(f"/orders/{order.order_id}/receipt", token)
    assert r.status_code == 200, r.body
    assert r.data["expires_at"] == "2026-04-05T10:05:00+08:00"
    data = requests.get(r.data["url"], timeout=10).content
    reader = PdfReader(io.BytesIO(data))
    text = pdf_text(data)
    title = str(reader.metadata.title)
    # Its title is 交费凭证, never 发票; it says 公务卡 and proves the payment
    assert title.startswith("交费凭证") and "发票" not in title
    assert text.startswith("交费凭证") and "发票" not in text.split("凭证编号")[0]
    for expected in ("公务卡", "490.00", "肆佰玖拾圆整", order.order_id, "张三", "不是发票"):
        assert expected in text, expected
    # Someone else's order is a 404, an unpaid one a 409; finance may fetch any
    _, other = api.signup(name="李四")
    assert api.get(f"/orders/{order.order_id}/receipt", other).status_code == 404
    unpaid = make_order(sub_of(api, other), None, status="open")
    assert api.get(f"/orders/{unpaid.order_id}/receipt", other).data["Code"] == "ORDER_NOT_PAID"
    assert api.get(f"/orders/{order.order_id}/receipt", api.staff("finance")).status_code == 200
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) is part of the set-up"
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf),
                    str(tmp_path / "receipt")], check=True)
    png = (tmp_path / "receipt.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_a_group_receipt_is_the_units_and_a_refund_shows_on_it(api, deps, clock):
    import requests
    from chalicelib.invoicing.receipt import receipt_link
    from tests.invoicing.factories import make_account
    unit = make_account("单位", kind="unit", credit_code=UNIT_CODE, unit_name="国家图书馆")
    group = make_order(unit.user_sub, PAID, kind="group", members=3, amount_fen=147000)
    link = receipt_link(deps, group.order_id, unit.user_sub, False, clock.now())
    text = pdf_text(requests.get(link["url"], timeout=10).content)
    assert "1,470.00" in text and "壹仟肆佰柒拾圆整" in text and "3" in text
    # a trainee (even one of its members) is not the order's owner: 404
    _, token = api.signup(name="张三")
    assert api.get(f"/orders/{group.order_id}/receipt", token).status_code == 404
    refunded = make_order(sub_of(api, token), PAID, status="refunded")
    r = api.get(f"/orders/{refunded.order_id}/receipt", token)
    assert "该订单已退费" in pdf_text(requests.get(r.data["url"], timeout=10).content)


@pytest.mark.parametrize("query, headers, body", [
    ("", {}, b""),
    ("?senid=x&nonce=1&timestamp=1&appkey=k", {"Content-Type": "application/json"}, b"{"),
    ("?senid=" + "a" * 32 + "&nonce=12345678&timestamp=1790000000&appkey=k",
     {"Content-Type": "application/json"}, b"\xff\xfe"),
])
def test_the_simulator_answers_hostile_calls_with_an_envelope(api, query, headers, body):
    r = api.call("POST", f"/dev/tax/open/v1/services{query}", body=body,
                 headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 200 and r.data["code"] == "070101", r.body
