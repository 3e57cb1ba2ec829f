"""Issuing an e-invoice (数电票) through a tax-platform provider. The service numbers and
records the invoice (its orderNo persisted before any call); an issuer submits it to the
provider, asks for its result, retries a failure and reverses (红冲) an issued one. The
provider is asynchronous: `submit` only gets it accepted, `query` says pending, issued (the
20-digit number and the document links) or failed.

Production: `NuonuoIssuer` over `nuonuo.NuonuoClient` (诺诺开放平台 / 诺税通 SaaS), its
credentials from Secrets Manager (`credentials.py`). The dev and test stages: the same
adapter over the simulator's in-process transport (`chalicelib.dev.install()` registers
it). The platform's own PDF is no invoice: it is the payment receipt (receipt.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable, Protocol

from chalicelib.invoicing import nuonuo
from chalicelib.invoicing.states import InvoiceKind
from chalicelib.platform.clock import shanghai, system_now

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿", "万亿"]

DUPLICATE_ORDER = "E9106"  # 订单编号或流水号不能重复: the provider already has this orderNo
CONFIRMED_RED = ("01", "04")  # 红字确认单: 无需确认, 购销双方已确认
RED_REASONS = {"refund": "3", "correction": "2"}  # 3 服务中止, 2 开票有误
DEFAULT_DOCUMENT_HOSTS = ("inv.jss.com.cn",)


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything the provider needs to issue one invoice (and a receipt prints)."""
    invoice_no: str  # the platform's own record number (<edition>-<6 digits>)
    order_no: str  # the provider's orderNo: unique, persisted before the first call
    kind: str  # states.InvoiceKind
    issued_at: datetime  # when it was requested
    seller: str
    buyer_title: str
    buyer_credit_code: str | None
    item: str
    quantity: int
    amount_fen: int  # negative on a red invoice
    official_card: bool
    order_id: str
    seller_tax_num: str = ""
    seller_address: str = ""
    seller_tel: str = ""
    seller_account: str = ""
    clerk: str = ""
    goods_code: str = "3070201020000000000"
    tax_rate: str = "0.06"
    invoice_line: str = "pc"
    buyer_email: str | None = None
    payment_channel: str | None = None
    paid_at: datetime | None = None
    reverses_no: str | None = None
    reverses_number: str | None = None  # red: the blue invoice's 20-digit number
    reason: str | None = None
    red_reason: str = "2"
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Submitted:
    serial_no: str | None  # the provider's 流水号


@dataclass(frozen=True)
class Outcome:
    status: str  # pending | issued | failed | unknown (the provider has no such order)
    number: str | None = None  # the 20-digit 数电票号码
    issued_at: datetime | None = None
    serial_no: str | None = None
    reason: str | None = None
    documents: dict[str, str] = field(default_factory=dict)  # pdf/ofd/xml -> URL


class IssuerRefused(Exception):
    """The provider refused the request for good (a field it rejects): not retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IssuerUncertain(Exception):
    """Timeout, 5xx, an unreadable answer or a platform-level refusal (token, signature):
    the outcome is unknown or nothing was done; the caller queries before anything else."""


class InvoiceIssuer(Protocol):
    name: str

    def submit(self, doc: InvoiceDocument) -> Submitted:
        """Have the provider accept `doc` (blue: issue; red: reverse its blue invoice)."""
        ...

    def query(self, order_no: str) -> Outcome:
        ...

    def retry(self, order_no: str, serial_no: str | None) -> None:
        """Ask the provider to issue a failed order again (same orderNo)."""
        ...

    def fetch(self, url: str) -> bytes:
        """A document the provider linked to."""
        ...


def _money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def billing_order(doc: InvoiceDocument) -> dict[str, Any]:
    """The `order` of nuonuo.OpeMplatform.requestBillingNew for a blue invoice: one line,
    the price including tax (withTaxFlag 1); the provider works out the tax."""
    amount = int(doc.amount_fen)
    quantity = max(int(doc.quantity), 1)
    num = quantity if amount % quantity == 0 else 1  # an uneven share: one line, whole amount
    order: dict[str, Any] = {
        "buyerName": doc.buyer_title,
        "salerTaxNum": doc.seller_tax_num, "salerTel": doc.seller_tel,
        "salerAddress": doc.seller_address, "salerAccount": doc.seller_account,
        "orderNo": doc.order_no,
        "invoiceDate": shanghai(doc.issued_at).strftime("%Y-%m-%d %H:%M:%S"),
        "clerk": doc.clerk, "pushMode": "-1",  # the platform delivers the document itself
        "invoiceType": "1", "invoiceLine": doc.invoice_line,
        "remark": "；".join(doc.notes)[:200],
        "invoiceDetail": [{
            "goodsName": doc.item, "goodsCode": doc.goods_code, "withTaxFlag": "1",
            "num": str(num), "unit": "人", "price": _money(amount // num),
            "taxIncludedAmount": _money(amount), "taxRate": doc.tax_rate,
            "invoiceLineProperty": "0",
        }],
    }
    if doc.buyer_credit_code:
        order["buyerTaxNum"] = doc.buyer_credit_code
    if doc.buyer_email:
        order["email"] = doc.buyer_email
    return order


def _ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def outcome_of(item: dict[str, Any]) -> Outcome:
    """One entry of queryInvoiceResult's result list, read (status 2: 开票完成; 20/21: 开票中
    / 签章中; 22: 开票失败; 24: 签章失败; anything else is awaited)."""
    status = str(item.get("status") or "")
    serial = item.get("serialNo") or None
    if status == "2":
        number = (item.get("allElectronicInvoiceNumber") or item.get("allElectronicInvoiceNumbe")
                  or item.get("invoiceNo"))
        docs = {k: str(item[f"{k}Url"]) for k in ("pdf", "ofd", "xml") if item.get(f"{k}Url")}
        return Outcome("issued", number=str(number) if number else None,
                       issued_at=_ms(item.get("invoiceTime")), serial_no=serial, documents=docs)
    if status in ("22", "24"):
        reason = str(item.get("failCause") or item.get("statusMsg") or "开票失败")
        return Outcome("failed", serial_no=serial, reason=reason)
    return Outcome("pending", serial_no=serial)


class NuonuoIssuer:
    """诺税通 SaaS: requestBillingNew / queryInvoiceResult / reInvoice; a 数电票 reversal is
    a 红字确认单 (saveInvoiceRedConfirm, seller-applied) followed by fastInvoiceRed."""
    name = "nuonuo"

    def __init__(self, client: nuonuo.NuonuoClient, document_hosts: frozenset[str],
                 clock: Callable[[], datetime] = system_now) -> None:
        self.client, self.document_hosts, self._clock = client, document_hosts, clock

    def _call(self, fn: Callable[..., nuonuo.Envelope], *args: Any) -> nuonuo.Envelope:
        try:
            return fn(*args)
        except nuonuo.UncertainOutcome as exc:
            raise IssuerUncertain(str(exc)) from None

    @staticmethod
    def _refusal(env: nuonuo.Envelope) -> Exception:
        """A business refusal (E9…) is final; any other code (token, signature, rate limit,
        permission) means the request was not handled: retry later."""
        text = f"{env.code} {env.describe}".strip()
        return IssuerRefused(text) if env.code.startswith("E9") else IssuerUncertain(text)

    def submit(self, doc: InvoiceDocument) -> Submitted:
        if doc.kind == InvoiceKind.RED:
            return self._submit_red(doc)
        order = billing_order(doc)
        if not order["salerTaxNum"]:
            order["salerTaxNum"] = self.client.tax_num
        env = self._call(self.client.request_billing, order)
        if env.ok:
            result = env.result if isinstance(env.result, dict) else {}
            return Submitted(serial_no=result.get("invoiceSerialNum"))
        if env.code == DUPLICATE_ORDER:  # accepted before (its answer was lost): follow it
            return Submitted(serial_no=None)
        raise self._refusal(env)

    def _red_bill(self, bill_id: str) -> dict[str, Any] | None:
        env = self._call(self.client.query_red_confirm, bill_id)
        if not env.ok:
            raise self._refusal(env)
        items = (env.result or {}).get("list") if isinstance(env.result, dict) else None
        return items[0] if items else None

    def _submit_red(self, doc: InvoiceDocument) -> Submitted:
        if not doc.reverses_number:
            raise IssuerRefused("被红冲的蓝字发票没有数电票号码")
        seller = doc.seller_tax_num or self.client.tax_num
        bill = self._red_bill(doc.order_no)  # applied before (its answer lost)?
        if bill is None:
            apply: dict[str, Any] = {
                "billId": doc.order_no, "blueInvoiceLine": doc.invoice_line, "applySource": "0",
                "blueElecInvoiceNumber": doc.reverses_number,
                "billTime": shanghai(self._clock()).strftime("%Y-%m-%d %H:%M:%S"),
                "sellerTaxNo": seller, "sellerName": doc.seller, "buyerName": doc.buyer_title,
                "redReason": doc.red_reason}
            if doc.buyer_credit_code:
                apply["buyerTaxNo"] = doc.buyer_credit_code
            env = self._call(self.client.save_red_confirm, apply)
            if not env.ok:
                raise self._refusal(env)
            bill = self._red_bill(doc.order_no)
            if bill is None:
                raise IssuerUncertain("红字确认单已提交，尚未查到")
        if str(bill.get("billStatus")) not in CONFIRMED_RED:
            raise IssuerUncertain(f"红字确认单待确认（状态 {bill.get('billStatus')}）")
        env = self._call(self.client.fast_red, {
            "orderNo": doc.order_no, "taxNum": seller,
            "orderTime": shanghai(self._clock()).strftime("%Y-%m-%d %H:%M:%S"),
            "elecInvoiceNumber": doc.reverses_number, "billNo": bill.get("billNo"),
            "billUuid": bill.get("billUuid"), "invoiceLine": doc.invoice_line})
        if env.ok:
            result = env.result if isinstance(env.result, dict) else {}
            return Submitted(serial_no=result.get("invoiceSerialNum"))
        if env.code == DUPLICATE_ORDER:
            return Submitted(serial_no=None)
        raise self._refusal(env)

    def query(self, order_no: str) -> Outcome:
        env = self._call(self.client.query_results, [order_no])
        if not env.ok:
            raise IssuerUncertain(f"{env.code} {env.describe}".strip())
        items = env.result if isinstance(env.result, list) else []
        mine = [i for i in items if isinstance(i, dict) and i.get("orderNo") in (order_no, None)]
        return outcome_of(mine[0]) if mine else Outcome("unknown")

    def retry(self, order_no: str, serial_no: str | None) -> None:
        env = self._call(self.client.reinvoice, order_no, serial_no)
        if not env.ok:
            raise self._refusal(env)

    def fetch(self, url: str) -> bytes:
        try:
            return self.client.fetch(url, self.document_hosts)
        except nuonuo.NuonuoError as exc:
            raise IssuerUncertain(str(exc)) from None


def _integer_words(n: int) -> str:
    digits = str(n)
    out, zero, group_has = "", False, False
    for i, ch in enumerate(digits):
        d, pos = int(ch), len(digits) - 1 - i
        if d == 0:
            zero = True
        else:
            if zero and out:
                out += "零"
            zero = False
            out += DIGITS[d] + UNITS[pos % 4]
            group_has = True
        if pos % 4 == 0 and pos > 0:
            if group_has:
                out += GROUPS[pos // 4]
            group_has = False
    return out


def amount_in_words(fen: int) -> str:
    """大写金额: 49000 -> 肆佰玖拾圆整; 12345 -> 壹佰贰拾叁圆肆角伍分; negatives get 负."""
    prefix = "负" if fen < 0 else ""
    fen = abs(fen)
    integer, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    words = _integer_words(integer) + "圆" if integer else ""
    if not jiao and not cents:
        return prefix + (words or "零圆") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if cents:
        words += DIGITS[cents] + "分"
    return prefix + words



# (deps, credentials) -> an issuer: what the dev and test stages register (their simulator)
IssuerFactory = Callable[[Any, dict[str, Any]], InvoiceIssuer]
_FACTORIES: dict[str, IssuerFactory] = {}


def register_issuer_factory(name: str, factory: IssuerFactory) -> None:
    """`chalicelib.dev.install()` puts the tax-provider simulator here; it is used only
    while the stage is dev or test. A prod process always talks to 诺诺 itself."""
    _FACTORIES[name] = factory


def real_issuer(creds: dict[str, Any]) -> InvoiceIssuer:
    client = nuonuo.NuonuoClient(
        creds["app_key"], creds["app_secret"], creds["access_token"], creds["tax_num"],
        base_url=creds.get("base_url") or nuonuo.PRODUCTION_URL)
    # The hosts the provider's document links may point at: configuration, never taken from
    # an answer (default: the one nuonuo-sdk's documentation names for 诺诺's documents).
    hosts = frozenset(h.lower() for h in creds.get("document_hosts") or DEFAULT_DOCUMENT_HOSTS)
    return NuonuoIssuer(client, hosts)


def invoice_issuer(deps: Any) -> InvoiceIssuer:
    """The per-process issuer: 诺诺 in a deployed stage, the simulator in dev and test
    (tests may put their own in `deps.extras["invoice_issuer"]`)."""
    def build(d: Any) -> InvoiceIssuer:
        from chalicelib.invoicing.credentials import load_credentials
        creds = load_credentials(d)
        if not d.settings.is_dev:
            return real_issuer(creds)
        factory = _FACTORIES.get("nuonuo")
        if factory is None:
            raise RuntimeError(f"no tax-provider simulator in the {d.settings.stage} stage: "
                               "call chalicelib.dev.install() at start-up")
        return factory(d, creds)
    return deps.adapter("invoice_issuer", build)  # type: ignore[no-any-return]
