"""The 诺诺 adapter without a network: how answers map to outcomes, which refusals are
final and which mean "ask again", what the billing order says (edition data)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.invoicing import nuonuo
from chalicelib.invoicing.issuer import InvoiceDocument, IssuerRefused, IssuerUncertain, NuonuoIssuer, billing_order, outcome_of


class Scripted:
    """A transport answering from a script, recording what was sent."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: str, headers: Any, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        self.sent.append((headers["method"], json.loads(body)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, envelope = answer if isinstance(answer, tuple) else (200, answer)
        return status, envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()

    def get(self, url: str, timeout_s: float) -> tuple[int, bytes]:
        return 200, b"%PDF-1.4"


def issuer(*answers: Any) -> tuple[NuonuoIssuer, Scripted]:
    t = Scripted(*answers)
    client = nuonuo.NuonuoClient("K", "S", "T", "91110108MA00123456", transport=t)
    return NuonuoIssuer(client, frozenset({"inv.jss.com.cn"})), t


def doc(**over: Any) -> InvoiceDocument:
    fields: dict[str, Any] = dict(
        invoice_no="2026-000001", order_no="LSC2026000001", kind="blue",
        issued_at=datetime(2026, 4, 5, 2, tzinfo=UTC), seller="中国图书馆学会", buyer_title="国家图书馆",
        buyer_credit_code="91110000600037341L", item="培训费", quantity=3, amount_fen=147000,
        official_card=False, order_id="O1")
    fields.update(over)
    return InvoiceDocument(**fields)


def test_the_order_carries_the_edition_data_and_even_shares():
    order = billing_order(doc(goods_code="3070201020000000000", tax_rate="0.06", clerk="财务"))
    [line] = order["invoiceDetail"]
    assert (order["orderNo"], order["invoiceDate"], order["invoiceLine"]) == \
        ("LSC2026000001", "2026-04-05 10:00:00", "pc")
    assert order["buyerTaxNum"] == "91110000600037341L" and order["pushMode"] == "-1"
    assert (line["goodsCode"], line["taxRate"], line["withTaxFlag"]) == ("3070201020000000000", "0.06", "1")
    assert (line["num"], line["price"], line["taxIncludedAmount"]) == ("3", "490.00", "1470.00")
    # an uneven share is one line for the whole amount
    odd = billing_order(doc(amount_fen=100000))["invoiceDetail"][0]
    assert (odd["num"], odd["price"], odd["taxIncludedAmount"]) == ("1", "1000.00", "1000.00")


@pytest.mark.parametrize("item, expected", [
    ({"status": "20", "serialNo": "S"}, ("pending", None, None)),
    ({"status": "22", "failCause": "购方税号有误"}, ("failed", None, "购方税号有误")),
    ({"status": "24"}, ("failed", None, "开票失败")),
    ({"status": "2", "allElectronicInvoiceNumber": "26112000000000000001", "pdfUrl": "https://x/a.pdf",
      "invoiceTime": 1790121600000}, ("issued", "26112000000000000001", None)),
])
def test_result_items_map_to_outcomes(item, expected):
    out = outcome_of(item)
    assert (out.status, out.number, out.reason) == expected
    if out.status == "issued":
        assert out.documents == {"pdf": "https://x/a.pdf"}
        assert out.issued_at == datetime(2026, 9, 23, tzinfo=UTC)


def test_a_business_refusal_is_final_a_platform_code_is_not():
    refused, _ = issuer({"code": "E9105", "describe": "折扣行有误"})
    with pytest.raises(IssuerRefused, match="E9105"):
        refused.submit(doc())
    token, _ = issuer({"code": "070301", "describe": "token 失效"})
    with pytest.raises(IssuerUncertain):
        token.submit(doc())
    duplicate, _ = issuer({"code": "E9106", "describe": "订单编号或流水号不能重复"})
    assert duplicate.submit(doc()).serial_no is None  # accepted before: followed by query


@pytest.mark.parametrize("answer", [OSError("timed out"), (502, b""), (200, b"<html>"), (200, b"[]")])
def test_timeouts_and_garbage_are_uncertain(answer):
    broken, _ = issuer(answer)
    with pytest.raises(IssuerUncertain):
        broken.submit(doc())


def test_query_finds_the_order_or_says_unknown():
    found, sent = issuer({"code": "E0000", "result": [{"orderNo": "LSC2026000001", "status": "20"}]},
                         {"code": "E0000", "result": []})
    assert found.query("LSC2026000001").status == "pending"
    assert found.query("LSC2026000001").status == "unknown"
    assert sent.sent[0] == (nuonuo.QUERY, {"orderNos": ["LSC2026000001"], "isOfferInvoiceDetail": "0"})


def test_a_red_invoice_waits_for_its_confirmation_then_reverses_fast():
    red = doc(kind="red", order_no="LSC2026000002", amount_fen=-147000,
              reverses_number="26112000000000000001", red_reason="3")
    waiting, _ = issuer({"code": "E0000", "result": {"total": 0, "list": []}},
                        {"code": "E0000", "result": "LSC2026000002"},
                        {"code": "E0000", "result": {"list": [{"billStatus": "02", "billNo": "B"}]}})
    with pytest.raises(IssuerUncertain, match="待确认"):
        waiting.submit(red)
    ready, sent = issuer({"code": "E0000", "result": {"list": [{"billStatus": "01", "billNo": "B",
                                                                  "billUuid": "U"}]}},
                         {"code": "E0000", "result": {"invoiceSerialNum": "R1"}})
    assert ready.submit(red).serial_no == "R1"  # applied before: not applied twice
    assert [m for m, _ in sent.sent] == [nuonuo.RED_CONFIRM_QUERY, nuonuo.FAST_RED]
    fast = sent.sent[1][1]
    assert (fast["orderNo"], fast["elecInvoiceNumber"], fast["billNo"], fast["billUuid"]) == \
        ("LSC2026000002", "26112000000000000001", "B", "U")


def test_documents_only_from_the_allowed_hosts():
    ok, _ = issuer()
    assert ok.fetch("https://inv.jss.com.cn/a.pdf") == b"%PDF-1.4"
    for url in ("http://inv.jss.com.cn/a.pdf", "https://evil.example/a.pdf",
                "https://user:pw@inv.jss.com.cn/a.pdf", "https://inv.jss.com.cn:8443/a.pdf"):
        with pytest.raises(IssuerUncertain):
            ok.fetch(url)


def test_a_deployed_stage_talks_to_nuonuo_itself_and_refuses_sandbox_credentials():
    from types import SimpleNamespace

    from chalicelib.invoicing.credentials import TaxProviderUnavailableError, make_sandbox_credentials
    from chalicelib.invoicing.issuer import invoice_issuer
    from chalicelib.platform.clock import Clock
    from chalicelib.platform.deps import Deps

    def prod_deps(creds: dict[str, Any]) -> Deps:
        d = Deps(settings=SimpleNamespace(is_dev=False, stage="prod"), clock=Clock(),  # type: ignore[arg-type]
                 identity=None, mailer=None)
        d.extras["keys:nuonuo"] = creds
        return d

    real = {"app_key": "K", "app_secret": "S", "access_token": "T", "tax_num": "91110108MA00123456"}
    built = invoice_issuer(prod_deps(real))
    assert isinstance(built, NuonuoIssuer)
    assert built.client.base_url == nuonuo.PRODUCTION_URL and built.document_hosts == {"inv.jss.com.cn"}
    assert isinstance(built.client._transport, nuonuo.UrllibTransport)
    with pytest.raises(TaxProviderUnavailableError):
        invoice_issuer(prod_deps(make_sandbox_credentials()))
    with pytest.raises(TaxProviderUnavailableError):
        invoice_issuer(prod_deps({"app_key": "K"}))


def test_the_production_transport_speaks_https_only():
    with pytest.raises(OSError):
        nuonuo.UrllibTransport().post("http://sdk.nuonuo.com/open/v1/services", {}, b"{}", 1)
