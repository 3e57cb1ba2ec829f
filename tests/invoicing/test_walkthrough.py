"""An invoice from request to issued document through the HTTP API and the tax-provider
simulator (诺诺 protocol, in-process), with the simulator failing once; a lost answer is
queried, never re-submitted; finance's reversal goes through the provider too."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import requests

from chalicelib.dev import tax_simulator
from chalicelib.platform.clock import parse_instant
from chalicelib.platform.store.kv import get_value
from tests.invoicing.factories import make_order

PAID = parse_instant("2026-04-05T09:00:00+08:00")


def sub_of(api: Any, token: str) -> str:
    return str(api.get("/me", token).data["user_id"])


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "").split())


def poll(api: Any, clock: Any, token: str, invoice_id: str, until: str, max_reads: int = 6) -> dict:
    """What the invoice page does: read it every few seconds until it has `until`."""
    for _ in range(max_reads):
        clock.set(clock.now() + timedelta(seconds=5))
        r = api.get(f"/invoices/{invoice_id}", token)
        assert r.status_code == 200, r.body
        if r.data["status"] == until:
            return r.data  # type: ignore[no-any-return]
    raise AssertionError(f"still {r.data['status']} after {max_reads} reads")


def test_request_fail_once_retry_issue_download_and_reverse(api, deps, clock):
    # Given a trainee's paid order, and a tax bureau that will fail the next invoice once
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID, official_card=True)
    assert api.post("/dev/tax/fail", token, json={"issue": 1}).data == {"issue": 1, "http": 0}
    # When the trainee asks for it
    r = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"})
    assert r.status_code == 201, r.body
    inv = r.data
    # Then it is with the provider: accepted (its orderNo persisted), failed once at the
    # bureau and retried by the platform with the same orderNo
    assert inv["status"] == "issuing" and inv["order_no"] == "LSC2026000001"
    assert inv["failure_reason"].startswith("模拟") and inv["invoice_number"] is None
    r = api.get(f"/invoices/{inv['invoice_id']}/download", token)
    assert r.status_code in (200, 409)  # (a look may already find it issued)
    # and a few reads later it is issued with the provider's 20-digit number
    done = poll(api, clock, token, inv["invoice_id"], "issued")
    assert len(done["invoice_number"]) == 20 and done["invoice_number"].isdigit()
    assert done["invoice_date"] and done["documents"] == ["pdf", "ofd", "xml"]
    stored = get_value(f"dev.tax.order#{done['order_no']}")
    assert stored["status"] == "2" and stored["number"] == done["invoice_number"]
    # The trainee downloads the provider's PDF: it says 模拟 and carries the number
    link = api.get(f"/invoices/{inv['invoice_id']}/download", token).data
    data = requests.get(link["url"], timeout=10).content
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "模拟" in text and done["invoice_number"] in text and "张三" in text
    xml = api.get(f"/invoices/{inv['invoice_id']}/download?format=xml", token).data
    assert done["invoice_number"].encode() in requests.get(xml["url"], timeout=10).content
    ofd = api.get(f"/invoices/{inv['invoice_id']}/download?format=ofd", token).data
    assert requests.get(ofd["url"], timeout=10).content.startswith(b"PK")
    # The receipt is a separate document
    receipt = api.get(f"/orders/{order.order_id}/receipt", token).data
    assert pdf_text(requests.get(receipt["url"], timeout=10).content).startswith("交费凭证")
    # Finance reverses it: a 红字确认单, then the provider's red invoice
    finance = api.staff("finance")
    r = api.post(f"/admin/invoices/{inv['invoice_id']}/reverse", finance, json={"reason": "抬头有误"})
    assert r.status_code == 200, r.body
    red = r.data["reversal"]
    assert red["status"] in ("issuing", "issued") and red["order_no"] == "LSC2026000002"
    red = poll(api, clock, token, red["invoice_id"], "issued") if red["status"] != "issued" else red
    assert len(red["invoice_number"]) == 20 and red["invoice_number"] != done["invoice_number"]
    assert get_value(f"dev.tax.order#{done['order_no']}")["reversed"] is True
    bill = get_value(f"dev.tax.bill#{red['order_no']}")
    assert bill["blueInvoiceNumber"] == done["invoice_number"] and bill["redReason"] == "2"


def test_a_lost_answer_is_queried_never_submitted_twice(api, deps, clock):
    # Given a provider whose answer to the next call is lost (after it processed it)
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID)
    tax_simulator.set_fail_modes(http=1)
    # When the trainee asks: the submit's outcome is unknown, so it stays requested
    inv = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"}).data
    assert inv["status"] == "requested" and inv["order_no"] == "LSC2026000001"
    # Then the next look asks the provider by the orderNo and follows it to issued
    done = poll(api, clock, token, inv["invoice_id"], "issued")
    assert len(done["invoice_number"]) == 20
    # the provider got one submit: a second would have been refused as a duplicate (E9106)
    # and the invoice would carry the attempt count of two submits
    from chalicelib.invoicing.repository import Invoice
    assert int(Invoice.get(inv["invoice_id"]).attempts) == 1


def test_the_issuing_job_follows_invoices_without_anyone_reading(api, deps, clock):
    from chalicelib.editions import service as editions
    from chalicelib.invoicing import jobs
    from chalicelib.invoicing.repository import Invoice
    _, token = api.signup(name="张三")
    order = make_order(sub_of(api, token), PAID)
    inv = api.post("/invoices", token, json={"order_id": order.order_id, "title": "张三"}).data
    assert inv["status"] == "issuing"
    edition = editions.get_edition(deps, "2026")
    counts, cursor = jobs.advance_invoices(deps, edition, clock.now(), None, 30)
    assert counts == {"checked": 1, "moved": 1} and cursor is None
    assert Invoice.get(inv["invoice_id"]).status == "issued"
    # nothing left in flight: the next run looks at nothing
    assert jobs.advance_invoices(deps, edition, clock.now(), None, 30)[0] == {"checked": 0, "moved": 0}
