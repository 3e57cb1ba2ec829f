"""The dev and test stages' payment providers: they speak the real protocol (the real
adapters verify their notifications, with the sandbox keys) but take no money. The pay
links are the real adapters' own: Alipay's signed page / wap pay URL, pointed at the
simulated gateway `/dev/pay/alipay/gateway.do` (which checks it before it shows the
cashier); WeChat Pay's Native / H5 / JSAPI order, signed by the real adapter and answered
in-process by the simulated order API (`sandbox.wechat_api`, Authorization checked), whose
signed answer the real adapter verifies. Alipay refunds at once; a WeChat refund is
accepted as PROCESSING and completed by the
signed refund notification the simulator sends to our webhook handler right away (like a
provider whose notification overtakes its answer: the refund core handles either order).
Registered into billing by `chalicelib.dev.install()`; billing uses them only while the
stage is dev or test.

The calls the real adapter would send (refund, close) are signed by the real adapter and
checked here as the provider's gateway checks a REQUEST (Alipay: every parameter but
`sign`, sign_type included; WeChat Pay: `METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`), with
the merchant public key; a request the provider would refuse is refused here too."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import payments
from chalicelib.billing.states import RefundStatus
from chalicelib.billing.providers import Notification, PayRequest, ProviderError, RefundRequest, RefundResult
from chalicelib.billing.providers.alipay import Alipay, refund_biz, verify_request
from chalicelib.billing.providers.wechatpay import REFUND_PATH, WechatPay, close_path, refund_payload, verify_authorization
from chalicelib.dev import sandbox
from chalicelib.dev.sandbox import wechat_refund_notice_for
from chalicelib.platform.deps import Deps


class _Simulator:
    """What both simulators share: the real adapter verifies the notifications (sandbox
    keys), the cashier page takes the money, nothing is left to close at the provider."""
    name: str
    link: str  # "pay_url" (Alipay's page) or "code_url" (WeChat Pay's QR code)

    def __init__(self, deps: Deps, keys: dict[str, Any], verifier: Any) -> None:
        self._deps = deps
        self._keys = keys
        self._verifier = verifier
        self._cashier = f"{deps.settings.public_base_url}/dev/pay"

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]:
        return {self.link: f"{self._cashier}/{req.order_id}"}

    def parse_notification(self, body: bytes, headers: dict[str, str], now: datetime) -> Notification:
        return self._verifier.parse_notification(body, headers, now)  # type: ignore[no-any-return]

    def close(self, order_id: str, now: datetime) -> bool:
        self._gateway_checks_close(order_id, now)
        return True

    def _gateway_checks_close(self, order_id: str, now: datetime) -> None:
        raise NotImplementedError


class SandboxAlipay(_Simulator):
    name = "alipay"
    link = "pay_url"

    def __init__(self, deps: Deps, keys: dict[str, Any]) -> None:
        super().__init__(deps, keys, Alipay(keys))
        self._gateway = Alipay({**keys, "gateway": deps.settings.public_base_url
                                + sandbox.ALIPAY_GATEWAY_PATH})

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]:
        """The real adapter's signed page / wap pay URL, at the simulated gateway."""
        return self._gateway.pay_link(req, now)

    def _gateway_checks(self, method: str, biz: dict[str, Any], now: datetime) -> None:
        params = self._verifier.signed_request(method, biz, now)
        if not verify_request(params, str(self._keys["merchant_public_key"])):
            raise ProviderError(f"sandbox alipay gateway: {method} isv.invalid-signature")

    def _gateway_checks_close(self, order_id: str, now: datetime) -> None:
        self._gateway_checks("alipay.trade.close", {"out_trade_no": order_id}, now)

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        """alipay.trade.refund answers synchronously: done."""
        self._gateway_checks("alipay.trade.refund", refund_biz(req), now)
        return RefundResult(status=RefundStatus.DONE.value, provider_refund_id=f"SBR{req.refund_id}")


class SandboxWechatPay(_Simulator):
    name = "wechatpay"
    link = "code_url"

    def __init__(self, deps: Deps, keys: dict[str, Any]) -> None:
        super().__init__(deps, keys, _SimulatedApi(deps, keys))

    def pay_link(self, req: PayRequest, now: datetime) -> dict[str, Any]:
        """The real adapter's signed Native / H5 / JSAPI order, answered by the simulated API
        (JSAPI: with the simulated WeixinJSBridge a browser outside WeChat loads)."""
        link: dict[str, Any] = self._verifier.pay_link(req, now)
        if "jsapi_params" in link:
            link["bridge_script"] = f"{self._deps.settings.public_base_url}{sandbox.WECHAT_PREFIX}/jsbridge.js"
        return link

    def oauth_url(self, redirect_uri: str, state: str) -> str:
        """The real adapter's authorize URL, at the simulated WeChat web OAuth."""
        return self._verifier.oauth_url(redirect_uri, state)  # type: ignore[no-any-return]

    def openid_from_code(self, code: str, now: datetime) -> str:
        return sandbox.sandbox_openid(str(self._keys["appid"]), code)

    def _gateway_checks(self, path: str, payload: dict[str, Any], now: datetime) -> None:
        body, authorization = self._verifier.signed_request("POST", path, payload, now)
        if not verify_authorization(authorization, "POST", path, body,
                                    str(self._keys["merchant_public_key"]),
                                    str(self._keys["mchid"]), now):
            raise ProviderError(f"sandbox wechatpay: {path} 401 SIGN_ERROR")

    def _gateway_checks_close(self, order_id: str, now: datetime) -> None:
        self._gateway_checks(close_path(order_id), {"mchid": str(self._keys["mchid"])}, now)

    def refund(self, req: RefundRequest, now: datetime) -> RefundResult:
        """Accepted (PROCESSING); WeChat's signed refund notification goes to our webhook
        handler (when the key document has the platform's private key to sign it)."""
        self._gateway_checks(REFUND_PATH, refund_payload(req), now)
        refund_id = f"SBR{req.refund_id}"
        if self._keys.get("platform_private_key"):
            body, headers = wechat_refund_notice_for(self._keys, req, refund_id, now)
            payments.handle_wechatpay(self._deps, body, headers, now)
        return RefundResult(status=RefundStatus.PROCESSING.value, provider_refund_id=refund_id)


class _SimulatedApi(WechatPay):
    """The real adapter, whose HTTPS calls the simulated WeChat Pay answers in-process."""

    def __init__(self, deps: Deps, keys: dict[str, Any]) -> None:
        super().__init__({**keys, "oauth_base": deps.settings.public_base_url
                          + sandbox.WECHAT_PREFIX + "/connect/oauth2/authorize"})
        self._deps = deps

    def _send(self, method: str, path: str, body: bytes, headers: dict[str, str],
              now: datetime) -> tuple[int, bytes, dict[str, str]]:
        if path in sandbox.PAY_PATHS.values():
            return sandbox.wechat_api(self._deps, method, path, body, headers.get("Authorization", ""), now)
        raise ProviderError(f"sandbox wechatpay: {path} is not simulated")
