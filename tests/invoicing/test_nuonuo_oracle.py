"""nuonuo-sdk 0.2.0 (pinned in requirements-dev.txt) as the oracle of the 诺诺 protocol:
our signatures and wire bytes equal the SDK's for the same inputs, and the SDK's own client,
pointed at the simulator (through the Chalice test client), issues, queries, reverses and
downloads with it; a wrong secret or token is refused the way 诺诺 refuses it."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from hypothesis import given, settings, strategies as st

from chalicelib.invoicing import nuonuo as ours
from chalicelib.invoicing.issuer import InvoiceDocument, billing_order

HOST = "tax-simulator.dev.local"
BASE = f"https://{HOST}/open/v1/services"


@pytest.mark.parametrize("body", [
    {"order": {"buyerName": "张三", "orderNo": "LSC2026000001"}},
    {"orderNos": ["LSC2026000001"], "isOfferInvoiceDetail": "0"},
    {"a": "emoji 📚 and \u2028 line separator", "n": 1, "nested": {"k": [1, "二"]}},
])
def test_our_signature_equals_the_sdks(body: dict[str, Any]) -> None:
    from nuonuo.signing import sign as sdk_sign
    content = ours.body_text(body)
    assert ours.sign("SDSECRET0123", "SD63236305", "a" * 32, "12345678", "1790000000", content) == \
        sdk_sign("SDSECRET0123", "SD63236305", "a" * 32, "12345678", content, "1790000000")


@settings(max_examples=60, deadline=None)
@given(secret=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
       text=st.text(max_size=40))
def test_signatures_agree_on_any_text(secret: str, text: str) -> None:
    from nuonuo.signing import sign as sdk_sign
    content = ours.body_text({"t": text})
    assert ours.sign(secret, "K", "b" * 32, "87654321", "1790000001", content) == \
        sdk_sign(secret, "K", "b" * 32, "87654321", content, "1790000001")


class Recorder(requests.adapters.BaseAdapter):
    """Catches what the SDK puts on the wire and answers E0000."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response._content = 200, b'{"code":"E0000","describe":"ok","result":{}}'
        response.request = request
        return response

    def close(self) -> None:
        pass


def test_our_wire_bytes_equal_the_sdks(monkeypatch: pytest.MonkeyPatch) -> None:
    import nuonuo.client
    from nuonuo import Nuonuo
    monkeypatch.setattr(nuonuo.client.time, "time", lambda: 1790000000.7)
    monkeypatch.setattr(nuonuo.client.secrets, "randbelow", lambda n: 2345678)
    doc = InvoiceDocument(
        invoice_no="2026-000001", order_no="LSC2026000001", kind="blue",
        issued_at=datetime(2026, 4, 5, 2, tzinfo=UTC), seller="中国图书馆学会", buyer_title="国家图书馆",
        buyer_credit_code="91110000600037341L", item="培训费", quantity=2, amount_fen=98000,
        official_card=True, order_id="O1", seller_tax_num="91110108MA00123456", notes=["订单号：O1"])
    order = billing_order(doc)
    sdk = Nuonuo("SD63236305", "SDSECRET0123", access_token="tok", tax_number="91110108MA00123456",
                 base_url=BASE)
    recorder = Recorder()
    sdk._session.mount("https://", recorder)
    sdk.nst.issue(order, senid="c" * 32)
    [sent] = recorder.sent
    client = ours.NuonuoClient("SD63236305", "SDSECRET0123", "tok", "91110108MA00123456", base_url=BASE)
    url, headers, body = client.request_parts(ours.ISSUE, {"order": order}, "c" * 32, "12345678",
                                              "1790000000")
    assert body == sent.body  # the same JSON text, byte for byte
    assert dict(parse_qsl(urlsplit(url).query)) == dict(parse_qsl(urlsplit(sent.url).query))
    for name in ("X-Nuonuo-Sign", "accessToken", "userTax", "method", "Content-Type"):
        assert headers[name] == sent.headers[name], name


# --- the SDK's own client against the simulator ------------------------------------------
class ChaliceAdapter(requests.adapters.BaseAdapter):
    """requests -> the app's simulator routes: https://tax-simulator.dev.local/<path> is
    /dev/tax/<path> on the app (the simulated provider's host)."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = f"/dev/tax{parts.path}" + (f"?{parts.query}" if parts.query else "")
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        answer = self.client.http.request(request.method or "GET", path,
                                          headers=dict(request.headers), body=body)
        response = requests.Response()
        response.status_code, response._content = answer.status_code, answer.body
        response.headers.update(answer.headers)
        response.request, response.url = request, request.url
        response.raw = io.BytesIO(answer.body)
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def sdk_to_simulator(api: Any, deps: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The SDK's client with the test stage's simulator credentials; every requests
    session (the SDK's and its document download's) reaches the simulator host through
    the Chalice test client."""
    from nuonuo import Nuonuo
    adapter = ChaliceAdapter(api.c)
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        return adapter if url.startswith(f"https://{HOST}/") else original(self, url)

    monkeypatch.setattr(requests.Session, "get_adapter", get_adapter)
    creds = deps.extras["keys:nuonuo"]
    with Nuonuo(creds["app_key"], creds["app_secret"], access_token=creds["access_token"],
                tax_number=creds["tax_num"], base_url=BASE) as sdk:
        yield sdk, creds


def sdk_order(creds: dict[str, Any], order_no: str) -> dict[str, Any]:
    doc = InvoiceDocument(
        invoice_no="2026-000009", order_no=order_no, kind="blue",
        issued_at=datetime(2026, 4, 5, 2, tzinfo=UTC), seller="中国图书馆学会", buyer_title="张三",
        buyer_credit_code=None, item="培训费", quantity=1, amount_fen=49000, official_card=False,
        order_id="O9", seller_tax_num=creds["tax_num"])
    return billing_order(doc)


def test_the_sdk_issues_queries_reverses_and_downloads_at_the_simulator(sdk_to_simulator: Any) -> None:
    from nuonuo.documents import download_document
    sdk, creds = sdk_to_simulator
    accepted = sdk.nst.issue(sdk_order(creds, "SDK0001"))
    assert accepted["code"] == "E0000" and len(accepted["result"]["invoiceSerialNum"]) == 20
    again = sdk.nst.issue(sdk_order(creds, "SDK0001"))
    assert again["code"] == "E9106"  # the orderNo is the provider's idempotency key
    first = sdk.nst.query(order_nos=["SDK0001"])
    assert first["code"] == "E0000" and first["result"][0]["status"] == "20"
    [item] = sdk.nst.query(order_nos=["SDK0001"])["result"]
    assert item["status"] == "2" and len(item["allElectronicInvoiceNumber"]) == 20
    by_serial = sdk.nst.query(serial_nos=[accepted["result"]["invoiceSerialNum"]])["result"]
    assert by_serial[0]["allElectronicInvoiceNumber"] == item["allElectronicInvoiceNumber"]
    document = download_document(item["pdfUrl"], allowed_hosts={HOST}, kind="pdf")
    assert document.data.startswith(b"%PDF-") and document.mimetype == "application/pdf"
    ofd = download_document(item["ofdUrl"], allowed_hosts={HOST}, kind="ofd")
    assert ofd.data.startswith(b"PK") and ofd.mimetype == "application/ofd"
    xml = download_document(item["xmlUrl"], allowed_hosts={HOST}, kind="xml")
    assert item["allElectronicInvoiceNumber"].encode() in xml.data
    # 红冲 of a 数电票: the seller's 红字确认单 (无需确认 for an individual's 普票), then 快捷红冲
    bill = sdk.call(ours.RED_CONFIRM, {
        "billId": "SDKRED1", "blueInvoiceLine": "pc", "applySource": "0",
        "blueElecInvoiceNumber": item["allElectronicInvoiceNumber"], "sellerTaxNo": creds["tax_num"],
        "sellerName": "中国图书馆学会", "buyerName": "张三", "redReason": "3"})
    assert bill == {"code": "E0000", "describe": "红字确认单申请成功", "result": "SDKRED1"}
    [confirm] = sdk.call(ours.RED_CONFIRM_QUERY, {"identity": "0", "billId": "SDKRED1"})["result"]["list"]
    assert confirm["billStatus"] == "01"
    red = sdk.call(ours.FAST_RED, {"orderNo": "SDKRED1", "taxNum": creds["tax_num"],
                                   "elecInvoiceNumber": item["allElectronicInvoiceNumber"],
                                   "billNo": confirm["billNo"], "billUuid": confirm["billUuid"],
                                   "invoiceLine": "pc"})
    assert red["code"] == "E0000"
    sdk.nst.query(order_nos=["SDKRED1"])
    [red_item] = sdk.nst.query(order_nos=["SDKRED1"])["result"]
    assert red_item["status"] == "2" and red_item["orderAmount"] == "-490.00"


def test_the_simulator_refuses_what_nuonuo_refuses(sdk_to_simulator: Any) -> None:
    from nuonuo import Nuonuo
    sdk, creds = sdk_to_simulator
    with Nuonuo(creds["app_key"], "WRONG" + creds["app_secret"], access_token=creds["access_token"],
                tax_number=creds["tax_num"], base_url=BASE) as forger:
        assert forger.nst.issue(sdk_order(creds, "SDK0002"))["code"] == "070601"
    with Nuonuo(creds["app_key"], creds["app_secret"], access_token="expired",
                tax_number=creds["tax_num"], base_url=BASE) as stale:
        assert stale.nst.issue(sdk_order(creds, "SDK0002"))["code"] == "070301"
    bad = dict(sdk_order(creds, "SDK0002"))
    bad["invoiceDetail"] = [{**bad["invoiceDetail"][0], "goodsCode": "3070201"}]
    refused = sdk.nst.issue(bad)
    assert refused["code"] == "E9105" and "19 位" in refused["describe"]
    assert sdk.call("nuonuo.OpeMplatform.noSuchMethod", {})["code"] == "070201"
    # none of the refused requests left an order behind
    assert sdk.nst.query(order_nos=["SDK0002"]) == {"code": "E0000", "describe": "查询成功", "result": []}


def test_our_client_and_the_sdk_see_the_same_simulator(sdk_to_simulator: Any, deps: Any) -> None:
    """Our production client (its urllib transport swapped for the same route) issues an
    invoice that the SDK then finds, and the other way round."""
    sdk, creds = sdk_to_simulator

    class ViaRequests:
        def post(self, url: str, headers: Any, body: bytes, timeout_s: float) -> tuple[int, bytes]:
            r = requests.post(url, headers=dict(headers), data=body, timeout=timeout_s)
            return r.status_code, r.content

        def get(self, url: str, timeout_s: float) -> tuple[int, bytes]:
            r = requests.get(url, timeout=timeout_s)
            return r.status_code, r.content

    client = ours.NuonuoClient(creds["app_key"], creds["app_secret"], creds["access_token"],
                               creds["tax_num"], base_url=BASE, transport=ViaRequests())
    env = client.request_billing(sdk_order(creds, "OURS0001"))
    assert env.ok and env.result["invoiceSerialNum"]
    assert sdk.nst.query(order_nos=["OURS0001"])["result"][0]["status"] == "20"
    sdk.nst.issue(sdk_order(creds, "SDK0003"))
    client.query_results(["SDK0003"])
    [item] = client.query_results(["SDK0003"]).result
    assert item["status"] == "2"
    pdf = client.fetch(item["pdfUrl"], frozenset({HOST}))
    assert pdf.startswith(b"%PDF-")
    with pytest.raises(ours.NuonuoError):
        client.fetch(item["pdfUrl"].replace(HOST, "evil.example"), frozenset({HOST}))
    assert json.loads(json.dumps(item))  # plain JSON both ways
