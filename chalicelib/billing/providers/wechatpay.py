"""WeChat Pay API v3: Native pay on a computer (`code_url`, shown as a QR code), H5 pay in a
phone's browser (`h5_url`, with scene_info: the payer's IP and h5_info), JSAPI inside
WeChat's own browser (`prepay_id`, the payer's openid from WeChat's web OAuth, and the
WeixinJSBridge `getBrandWCPayRequest` parameters signed by the v3 paySign rule); the
notification (headers Wechatpay-Signature/-Timestamp/-Nonce/-Serial, RSA-SHA256 over
"timestamp\\nnonce\\nbody\\n" with the platform public key of that serial; the resource
decrypted with AES-256-GCM under the APIv3 key); refunds (domestic/refunds), completed by
WeChat's signed refund notification.

We verify with the configured WeChat Pay public key(s) and never download platform
certificates; the timestamp must be within ±5 minutes of our clock; serials we do not
know and `WECHATPAY/SIGNTEST/` probe signatures fail."""
from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from chalicelib.billing.rules import product_for
from chalicelib.billing.states import Product, RefundStatus
from chalicelib.billing.providers.protocol import Notification, PayRequest, ProviderError, RefundRequest, RefundResult, SignatureError, passback_of, registration_hint
from chalicelib.billing.providers import crypto

API_BASE = "https://api.mch.weixin.qq.com"
MAX_SKEW_S = 300
REFUND_PATH = "/v3/refund/domestic/refunds"
PAY_PATHS = {Product.WECHAT_NATIVE.value: "/v3/pay/transactions/native",
             Product.WECHAT_H5.value: "/v3/pay/transactions/h5",
             Product.WECHAT_JSAPI.value: "/v3/pay/transactions/jsapi"}
OAUTH_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
OAUTH_TOKEN = "https://api.weixin.qq.com/sns/oauth2/access_token"
H5_APP_NAME = "在职培训平台"


def close_path(order_id: str) -> str:
    return f"/v3/pay/transactions/out-trade-no/{order_id}/close"


def refund_payload(req: RefundRequest) -> dict[str, Any]:
    return {"transaction_id": req.txn_id, "out_refund_no": req.refund_id,
            "reason": req.reason[:80], "notify_url": req.notify_url,
            "amount": {"refund": req.amount_fen, "total": req.payment_amount_fen,
                       "currency": "CNY"}}


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat Pay signs in a notification or an answer: `TIMESTAMP\\nNONCE\\nBODY\\n`."""
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def request_message(method: str, url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What a merchant signs in a request's Authorization header:
    `METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n` (URL: the path with its query, no host)."""
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def pay_sign_message(app_id: str, timestamp: str, nonce: str, package: str) -> bytes:
    """What the JSAPI paySign signs: `appId\ntimeStamp\nnonceStr\npackage\n`."""
    return f"{app_id}\n{timestamp}\n{nonce}\n{package}\n".encode()


def verify_pay_sign(params: dict[str, Any], merchant_public_key: str) -> bool:
    """What WeChat checks of the parameters a page hands WeixinJSBridge (the dev bridge
    simulator uses it)."""
    try:
        message = pay_sign_message(str(params["appId"]), str(params["timeStamp"]),
                                   str(params["nonceStr"]), str(params["package"]))
    except KeyError:
        return False
    return params.get("signType") == "RSA" and crypto.verify(
        merchant_public_key, message, str(params.get("paySign", "")))


def verify_authorization(authorization: str, method: str, url: str, body: bytes,
                         merchant_public_key: str, mchid: str, now: datetime) -> bool:
    """What WeChat Pay checks of a request (the dev simulator uses it): the scheme, our
    mchid, a timestamp within ±5 minutes and the SHA256-RSA signature of the request."""
    scheme, _, rest = authorization.partition(" ")
    if scheme != "WECHATPAY2-SHA256-RSA2048":
        return False
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value.strip('"')
    try:
        ts = int(fields.get("timestamp", ""))
    except ValueError:
        return False
    return (fields.get("mchid") == mchid and abs(now.timestamp() - ts) <= MAX_SKEW_S
            and bool(fields.get("nonce_str")) and crypto.verify(
                merchant_public_key,
                request_message(method, url, fields["timestamp"], fields["nonce_str"], body),
                fields.get("signature", "")))


def build_notification(keys: dict[str, Any], event_type: str, resource: dict[str, Any],
                       now: datetime, notification_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """What WeChat Pay posts (the dev simulator and the tests): encrypted resource, signed
    headers. Needs the sandbox `platform_private_key` and `platform_serial`."""
    nonce = secrets.token_hex(6)
    associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    envelope = {
        "id": notification_id or secrets.token_hex(16),
        "create_time": now.isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": event_type,
        "summary": "支付成功" if associated == "transaction" else "退款成功",
        "resource": {"original_type": associated, "algorithm": "AEAD_AES_256_GCM",
                     "ciphertext": crypto.aesgcm_encrypt(
                         str(keys["apiv3_key"]), nonce,
                         json.dumps(resource, ensure_ascii=False).encode(), associated),
                     "associated_data": associated, "nonce": nonce}}
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    ts, header_nonce = str(int(now.timestamp())), secrets.token_hex(16)
    signature = crypto.sign(str(keys["platform_private_key"]), signed_message(ts, header_nonce, body))
    return body, {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": header_nonce,
                  "Wechatpay-Signature": signature, "Wechatpay-Serial": str(keys["platform_serial"]),
                  "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                  "Content-Type": "application/json"}


class WechatPay:
    name = "wechatpay"

    def __init__(self, keys: dict[str, Any]) -> None:
        self.keys = keys
        self.mchid = str(keys["mchid"])
        self.appid = str(keys["appid"])
        self.api_base = str(keys.get("api_base") or API_BASE)
        self.platform_keys: dict[str, str] = dict(keys["platform_keys"])

    # --- verification --------------------------------------------------------------------
    def verify_signed(self, body: bytes, headers: dict[str, str], now: datetime) -> None:
        h = {k.lower(): v for k, v in headers.items()}
        signature = h.get("wechatpay-signature", "")
        timestamp = h.get("wechatpay-timestamp", "")
        nonce = h.get("wechatpay-nonce", "")
        serial = h.get("wechatpay-serial", "")
        if not (signature and timestamp and nonce and serial):
            raise SignatureError("unsigned")
        if signature.startswith("WECHATPAY/SIGNTEST/"):
            raise SignatureError("signature probe")
        pem = self.platform_keys.get(serial)
        if pem is None:
            raise SignatureError("unknown serial")
        try:
            ts = int(timestamp)
        except ValueError as exc:
            raise SignatureError("bad timestamp") from exc
        if abs(now.timestamp() - ts) > MAX_SKEW_S:
            raise SignatureError("stale timestamp")
        if not crypto.verify(pem, signed_message(timestamp, nonce, body), signature):
            raise SignatureError("bad signature")

    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification:
        self.verify_signed(body, headers, now)  # over the raw body, never a re-serialised one
        try:
            envelope = json.loads(body)
            res = envelope["resource"]
            plain = crypto.aesgcm_decrypt(str(self.keys["apiv3_key"]), res["nonce"],
                                          res["ciphertext"], res.get("associated_data", ""))
            data = json.loads(plain)
        except Exception as exc:  # signed by WeChat but unreadable: not a retry case for us
            raise SignatureError(f"resource not decryptable: {type(exc).__name__}") from exc
        event_type = str(envelope.get("event_type", ""))
        amount = data.get("amount") or {}
        merchant_ok = str(data.get("mchid")) == self.mchid and \
            (event_type.startswith("REFUND") or str(data.get("appid")) == self.appid)
        if event_type.startswith("REFUND"):
            return Notification(
                provider=self.name, event="refund", txn_id=str(data.get("refund_id", "")),
                out_trade_no=data.get("out_trade_no"), amount_fen=amount.get("refund"),
                merchant_ok=merchant_ok, out_refund_no=data.get("out_refund_no"),
                succeeded=data.get("refund_status") == "SUCCESS", raw=data)
        paid = event_type == "TRANSACTION.SUCCESS" and data.get("trade_state") == "SUCCESS"
        return Notification(
            provider=self.name, event="payment" if paid else "ignored",
            txn_id=str(data.get("transaction_id", "")), out_trade_no=data.get("out_trade_no"),
            amount_fen=amount.get("total"), merchant_ok=merchant_ok,
            payer={"openid": (data.get("payer") or {}).get("openid")}, raw=data,
            registration_hint=registration_hint(str(data.get("attach") or "")))

    # --- calls to WeChat Pay --------------------------------------------------------------
    def signed_request(self, method: str, path: str, payload: dict[str, Any],
                       now: datetime) -> tuple[bytes, str]:
        """(body, Authorization header) of a request, signed with the merchant key."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        ts, nonce = str(int(now.timestamp())), secrets.token_hex(16)
        signature = crypto.sign(str(self.keys["merchant_private_key"]),
                                request_message(method, path, ts, nonce, body))
        return body, (f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",'
                      f'signature="{signature}",timestamp="{ts}",'
                      f'serial_no="{self.keys["merchant_serial"]}"')

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str],
              now: datetime) -> tuple[int, bytes, dict[str, str]]:
        """(status, raw body, headers) of one HTTPS call to WeChat Pay (the dev stage's
        simulator answers here in-process instead, with the same signed request)."""
        import urllib.error
        import urllib.request
        if not self.api_base.startswith("https://"):
            raise ProviderError("wechatpay api base must be https")
        request = urllib.request.Request(self.api_base + path, data=body, method=method,  # noqa: S310
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=8) as resp:  # noqa: S310 - fixed https API
                return int(getattr(resp, "status", 200)), resp.read(), dict(resp.headers.items())
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read(), dict(exc.headers.items())
        except OSError as exc:
            raise ProviderError(f"wechatpay unreachable: {exc}") from exc

    def _call(self, method: str, path: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
        body, auth = self.signed_request(method, path, payload, now)
        status, raw, headers = self._send(method, path, body, {
            "Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"}, now)
        if status >= 400:
            detail = raw.decode("utf-8", "replace")[:300]
            if status >= 500:
                raise ProviderError(f"wechatpay {status}: {detail}")
            return {"_error": status, "_detail": detail}
        try:
            self.verify_signed(raw, headers, now)
        except SignatureError as exc:
            raise ProviderError(f"wechatpay answer not verified: {exc.reason}") from exc
        return json.loads(raw) if raw else {}

    def pay_payload(self, req: PayRequest, product: str) -> dict[str, Any]:
        """The order body of the product (the same fields the v3 docs and wechatpayv3 send)."""
        payload: dict[str, Any] = {
            "appid": self.appid, "mchid": self.mchid, "description": req.subject[:127],
            "out_trade_no": req.order_id, "notify_url": req.notify_url,
            "time_expire": req.expires_at.isoformat(timespec="seconds"),
            "amount": {"total": req.amount_fen, "currency": "CNY"}}
        attach = passback_of(req.registration_id)
        if attach:  # handed back unchanged in the payment notification (string[1,128])
            payload["attach"] = attach
        if product == Product.WECHAT_H5.value:
            site = req.return_url.split("#")[0].rstrip("/") or req.return_url
            payload["scene_info"] = {"payer_client_ip": req.client_ip or "127.0.0.1",
                                     "h5_info": {"type": "Wap", "app_name": H5_APP_NAME,
                                                 "app_url": site}}
        if product == Product.WECHAT_JSAPI.value:
            if not req.openid:
                raise ProviderError("wechatpay jsapi needs the payer's openid")
            payload["payer"] = {"openid": req.openid}
        return payload

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]:
        """Native `code_url` (computer), H5 `h5_url` (phone browser; back to our page by
        `redirect_url`), or JSAPI's signed bridge parameters (WeChat's browser)."""
        product = str(product_for("wechatpay", req.device))
        answer = self._call("POST", PAY_PATHS[product], self.pay_payload(req, product), now)
        if product == Product.WECHAT_H5.value:
            if "h5_url" not in answer:
                raise ProviderError(f"wechatpay h5 order refused: {answer.get('_detail')}")
            url = str(answer["h5_url"])
            joiner = "&" if "?" in url else "?"
            return {"product": product,
                    "h5_url": f"{url}{joiner}redirect_url={quote(req.return_url, safe='')}"}
        if product == Product.WECHAT_JSAPI.value:
            if "prepay_id" not in answer:
                raise ProviderError(f"wechatpay jsapi order refused: {answer.get('_detail')}")
            return {"product": product, "jsapi_params": self.jsapi_params(str(answer["prepay_id"]), now)}
        if "code_url" not in answer:
            raise ProviderError(f"wechatpay native order refused: {answer.get('_detail')}")
        return {"product": product, "code_url": str(answer["code_url"])}

    def jsapi_params(self, prepay_id: str, now: datetime) -> dict[str, str]:
        """What the page hands `WeixinJSBridge.invoke('getBrandWCPayRequest', ...)`: paySign
        = SHA256-RSA (merchant key) over `appId\ntimeStamp\nnonceStr\npackage\n`."""
        ts, nonce, package = str(int(now.timestamp())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        sign = crypto.sign(str(self.keys["merchant_private_key"]),
                           pay_sign_message(self.appid, ts, nonce, package))
        return {"appId": self.appid, "timeStamp": ts, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": sign}

    # --- WeChat's web OAuth (snsapi_base): the payer's openid for JSAPI -------------------
    def oauth_url(self, redirect_uri: str, state: str) -> str:
        """Where the page sends the trainee; WeChat comes back to `redirect_uri` with
        `code` and `state` (silently: snsapi_base asks nothing)."""
        query = urlencode({"appid": self.appid, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": "snsapi_base", "state": state})
        return f"{self.keys.get('oauth_base') or OAUTH_AUTHORIZE}?{query}#wechat_redirect"

    def openid_from_code(self, code: str, now: datetime) -> str:
        """sns/oauth2/access_token: the code (valid 5 minutes, once) for the openid. Needs the
        official account's secret (`app_secret` in the prod key document)."""
        import urllib.request
        secret = self.keys.get("app_secret")
        if not secret:
            raise ProviderError("wechat oauth: app_secret is not configured")
        url = f"{OAUTH_TOKEN}?" + urlencode({"appid": self.appid, "secret": secret, "code": code,
                                             "grant_type": "authorization_code"})
        try:
            with urllib.request.urlopen(url, timeout=8) as resp:  # noqa: S310 - fixed https API
                answer = json.loads(resp.read())
        except (OSError, ValueError) as exc:
            raise ProviderError(f"wechat oauth unreachable: {exc}") from exc
        if not isinstance(answer, dict) or not answer.get("openid"):
            raise ProviderError(f"wechat oauth refused: {answer}")
        return str(answer["openid"])

    def close(self, order_id: str, now: datetime) -> bool:
        """Close the Native order so its QR code can no longer be paid (204 = closed)."""
        answer = self._call("POST", close_path(order_id), {"mchid": self.mchid}, now)
        return "_error" not in answer

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        """Accepted as PROCESSING; WeChat's refund notification completes it."""
        answer = self._call("POST", REFUND_PATH, refund_payload(req), now)
        if "_error" in answer:
            return RefundResult(status=RefundStatus.FAILED.value, detail=str(answer.get("_detail")))
        status = answer.get("status")
        if status == "SUCCESS":
            return RefundResult(status=RefundStatus.DONE.value, provider_refund_id=answer.get("refund_id"))
        if status in ("PROCESSING", None):
            return RefundResult(status=RefundStatus.PROCESSING.value, provider_refund_id=answer.get("refund_id"))
        return RefundResult(status=RefundStatus.FAILED.value, provider_refund_id=answer.get("refund_id"),
                            detail=str(status))
