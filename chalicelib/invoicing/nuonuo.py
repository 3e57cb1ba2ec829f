"""诺诺开放平台 (诺税通 SaaS) protocol client, written from the platform's published protocol
and checked against nuonuo-sdk 0.2.0 as an oracle (tests/invoicing/test_nuonuo_oracle.py).
Standard library only (urllib): the provider is called a few times per invoice.

One call: POST <base>/open/v1/services?senid=&nonce=&timestamp=&appkey= with the business
JSON as the UTF-8 body, and the headers X-Nuonuo-Sign (Base64 HMAC-SHA1 with the app secret
over `a=services&l=v1&p=open&k=<appKey>&i=<senid>&n=<nonce>&t=<timestamp>&f=<body>`),
accessToken, userTax (the seller's tax number), method. The answer is an envelope
`{"code", "describe", "result"}`; `E0000` is success for the 诺税通 methods.

A timeout, a non-2xx status or an unreadable answer is an *uncertain* outcome: the request
may have been accepted, so the caller queries by its orderNo and never re-submits blindly."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol
from urllib.parse import urlencode

PRODUCTION_URL = "https://sdk.nuonuo.com/open/v1/services"
SANDBOX_URL = "https://sandbox.nuonuocs.cn/open/v1/services"
SERVICES_PATH = "/open/v1/services"
OK = "E0000"

ISSUE = "nuonuo.OpeMplatform.requestBillingNew"  # 诺税通saas请求开具发票 (V2.0)
QUERY = "nuonuo.OpeMplatform.queryInvoiceResult"  # 开票结果查询, by orderNos or serialNos
RETRY = "nuonuo.OpeMplatform.reInvoice"  # 开票失败后按原流水号/订单号重试
RED_CONFIRM = "nuonuo.OpeMplatform.saveInvoiceRedConfirm"  # 数电票红字确认单申请
RED_CONFIRM_QUERY = "nuonuo.OpeMplatform.queryInvoiceRedConfirm"  # 红字确认单查询
FAST_RED = "nuonuo.OpeMplatform.fastInvoiceRed"  # 数电票快捷红冲 (with the 确认单)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class Transport(Protocol):
    """The wire. Production: `UrllibTransport`; the dev and test stages hand in the
    simulator's in-process transport (chalicelib/dev/tax_simulator.py)."""

    def post(self, url: str, headers: Mapping[str, str], body: bytes,
             timeout_s: float) -> tuple[int, bytes]:
        """(status, body); OSError on a network failure or timeout."""
        ...

    def get(self, url: str, timeout_s: float) -> tuple[int, bytes]:
        """A document (PDF/OFD/XML) the provider links to."""
        ...


class NuonuoError(Exception):
    """Base of the client's errors (their text never carries credentials)."""


class UncertainOutcome(NuonuoError):
    """Timeout, 5xx, unreadable answer: the provider may or may not have acted."""


@dataclass(frozen=True)
class Envelope:
    code: str
    describe: str
    result: Any

    @property
    def ok(self) -> bool:
        return self.code == OK


def sign(app_secret: str, app_key: str, senid: str, nonce: str, timestamp: str,
         content: str) -> str:
    """X-Nuonuo-Sign: Base64(HMAC-SHA1(secret, the fixed message over the body text))."""
    message = (f"a=services&l=v1&p=open&k={app_key}&i={senid}"
               f"&n={nonce}&t={timestamp}&f={content}")
    digest = hmac.new(app_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def body_text(data: Mapping[str, Any]) -> str:
    """The exact JSON text that is signed and sent (compact, non-ASCII kept)."""
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _https_only(url: str) -> None:
    if not url.startswith("https://"):
        raise OSError("the provider is called over HTTPS only")


class UrllibTransport:
    """HTTPS with the standard library: no redirects followed, no retries, bounded reads."""

    def _open(self, request: Any, timeout_s: float) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=timeout_s) as response:
                data = response.read(MAX_DOCUMENT_BYTES + 1)
                if len(data) > MAX_DOCUMENT_BYTES:
                    raise OSError("answer larger than 10 MB")
                return int(response.status), bytes(data)
        except urllib.error.HTTPError as exc:
            return int(exc.code), b""

    def post(self, url: str, headers: Mapping[str, str], body: bytes,
             timeout_s: float) -> tuple[int, bytes]:
        import urllib.request
        _https_only(url)
        return self._open(urllib.request.Request(url, data=body, headers=dict(headers),  # noqa: S310 - https only
                                                 method="POST"), timeout_s)

    def get(self, url: str, timeout_s: float) -> tuple[int, bytes]:
        import urllib.request
        _https_only(url)
        return self._open(urllib.request.Request(url, method="GET"), timeout_s)  # noqa: S310 - https only


class NuonuoClient:
    """One application, environment and seller (tax number)."""

    def __init__(self, app_key: str, app_secret: str, access_token: str, tax_num: str,
                 base_url: str = PRODUCTION_URL, transport: Transport | None = None,
                 timeout_s: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        if not base_url.endswith(SERVICES_PATH):
            raise ValueError(f"base_url must end with {SERVICES_PATH}")
        self.app_key, self._secret, self._token = app_key, app_secret, access_token
        self.tax_num, self.base_url = tax_num, base_url
        self._transport: Transport = transport or UrllibTransport()
        self._timeout_s, self._clock = timeout_s, clock

    def request_parts(self, method: str, data: Mapping[str, Any], senid: str, nonce: str,
                      timestamp: str) -> tuple[str, dict[str, str], bytes]:
        """(url, headers, body) of one call: what goes on the wire."""
        content = body_text(data)
        query = urlencode({"senid": senid, "nonce": nonce, "timestamp": timestamp,
                           "appkey": self.app_key})
        headers = {"Content-Type": "application/json; charset=UTF-8",
                   "X-Nuonuo-Sign": sign(self._secret, self.app_key, senid, nonce, timestamp,
                                         content),
                   "accessToken": self._token, "userTax": self.tax_num, "method": method}
        return f"{self.base_url}?{query}", headers, content.encode("utf-8")

    def call(self, method: str, data: Mapping[str, Any]) -> Envelope:
        """One signed call; the business envelope (errors included) or UncertainOutcome."""
        senid = uuid.uuid4().hex  # 32 characters: a transport id, not the order's identity
        nonce = str(10_000_000 + secrets.randbelow(90_000_000))  # 8-digit positive integer
        url, headers, body = self.request_parts(method, data, senid, nonce,
                                                str(int(self._clock())))
        try:
            status, answer = self._transport.post(url, headers, body, self._timeout_s)
        except OSError as exc:  # timeouts included: the outcome is unknown
            raise UncertainOutcome(f"{method}: network failure ({type(exc).__name__})") from None
        if not 200 <= status < 300:
            raise UncertainOutcome(f"{method}: HTTP {status}")
        try:
            parsed = json.loads(answer)
        except ValueError:
            raise UncertainOutcome(f"{method}: the answer is not JSON") from None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("code"), (str, int)):
            raise UncertainOutcome(f"{method}: the answer has no business code")
        return Envelope(str(parsed["code"]), str(parsed.get("describe") or ""),
                        parsed.get("result"))

    # --- the business methods this platform uses ------------------------------------------
    def request_billing(self, order: Mapping[str, Any]) -> Envelope:
        return self.call(ISSUE, {"order": dict(order)})

    def query_results(self, order_nos: list[str]) -> Envelope:
        return self.call(QUERY, {"orderNos": order_nos, "isOfferInvoiceDetail": "0"})

    def reinvoice(self, order_no: str, serial_no: str | None) -> Envelope:
        data = {"orderno": order_no}
        if serial_no:
            data["fpqqlsh"] = serial_no
        return self.call(RETRY, data)

    def save_red_confirm(self, data: Mapping[str, Any]) -> Envelope:
        return self.call(RED_CONFIRM, data)

    def query_red_confirm(self, bill_id: str) -> Envelope:
        return self.call(RED_CONFIRM_QUERY, {"identity": "0", "billId": bill_id})

    def fast_red(self, data: Mapping[str, Any]) -> Envelope:
        return self.call(FAST_RED, data)

    def fetch(self, url: str, allowed_hosts: frozenset[str]) -> bytes:
        """A document the provider linked to: HTTPS on an allowed host only (the list is
        configuration, never taken from the answer), at most 10 MB."""
        from urllib.parse import urlsplit
        parts = urlsplit(url)
        if (parts.scheme != "https" or (parts.hostname or "").lower() not in allowed_hosts
                or parts.username or parts.password or parts.port not in (None, 443)):
            raise NuonuoError("document URL not on the allowed hosts")
        try:
            status, data = self._transport.get(url, self._timeout_s)
        except OSError as exc:
            raise UncertainOutcome(f"document download failed ({type(exc).__name__})") from None
        if status != 200 or not data:
            raise UncertainOutcome(f"document download: HTTP {status}")
        return data
