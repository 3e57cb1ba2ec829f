"""wechatpayv3 (2.0.4) as the judge of our WeChat Pay API v3 signatures.

Requests (Native order, refund, close): the Authorization header signs
`METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n` with SHA256-RSA and the merchant key — the SDK's
`build_authorization` given our timestamp, nonce and body must produce our header, byte for
byte. Notifications: headers signed over `TIMESTAMP\\nNONCE\\nBODY\\n` with the platform key,
resource AES-256-GCM under the APIv3 key with its associated_data and nonce — one built
with the SDK's `rsa_sign` must credit our order through POST /webhooks/wechatpay, and our
sandbox's notifications must pass the SDK's `Core.callback` (verify and decrypt)."""
from __future__ import annotations

import base64
import io
import json
from datetime import datetime
from typing import Any

import pytest

wx_utils = pytest.importorskip("wechatpayv3.utils")
wx_core = pytest.importorskip("wechatpayv3.core")

from chalicelib.billing.providers import PayRequest, RefundRequest, crypto  # noqa: E402
from chalicelib.billing.providers.wechatpay import WechatPay, signed_message  # noqa: E402
from tests.billing.conftest import approved_registration, get_order  # noqa: E402

NOW = datetime.fromisoformat("2026-04-05T02:00:00+00:00")


class _Resp(io.BytesIO):
    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        super().__init__(body)
        self.headers = headers

    def __enter__(self) -> "_Resp":
        return self

    def __exit__(self, *a: Any) -> None:
        return None


def _core(wx: dict[str, Any]) -> Any:
    """The SDK's client, offline: WeChat Pay's public key (by its id) instead of downloaded
    platform certificates."""
    return wx_core.Core(mchid=wx["mchid"], cert_serial_no=wx["merchant_serial"],
                        private_key=wx["merchant_private_key"], apiv3_key=wx["apiv3_key"],
                        public_key=wx["platform_keys"][wx["platform_serial"]],
                        public_key_id=wx["platform_serial"])


def _answering(wx: dict[str, Any], answer: dict[str, Any], sent: list[Any]) -> Any:
    def urlopen(request: Any, timeout: float) -> _Resp:
        sent.append(request)
        raw = json.dumps(answer).encode() if answer else b""
        ts, nonce = str(int(NOW.timestamp())), "n0nce"
        sig = crypto.sign(wx["platform_private_key"], signed_message(ts, nonce, raw))
        return _Resp(raw, {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                           "Wechatpay-Signature": sig, "Wechatpay-Serial": wx["platform_serial"],
                           "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"})
    return urlopen


def _refund() -> RefundRequest:
    return RefundRequest("FABC", "OABC", "4200TX", 49000, 49000, "退费", "https://x/webhooks/wechatpay")


def _pay(device: str, openid: str | None = None) -> PayRequest:
    return PayRequest("OABC", 49000, "在职培训 培训费", "https://x/webhooks/wechatpay", "https://x/r", NOW,
                      device=device, client_ip="203.0.113.7", openid=openid)


CALLS = {
    "native": (lambda a: a.pay_link(_pay("desktop"), NOW),
               {"code_url": "weixin://wxpay/bizpayurl?pr=abc"}, "/v3/pay/transactions/native"),
    "h5": (lambda a: a.pay_link(_pay("phone"), NOW),
           {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1&package=1"},
           "/v3/pay/transactions/h5"),
    "jsapi": (lambda a: a.pay_link(_pay("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"), NOW),
              {"prepay_id": "wx201410272009395522657a690389285100"}, "/v3/pay/transactions/jsapi"),
    "refund": (lambda a: a.refund(_refund(), NOW), {"status": "PROCESSING", "refund_id": "5030"},
               "/v3/refund/domestic/refunds"),
    "close": (lambda a: a.close("OABC", NOW), {}, "/v3/pay/transactions/out-trade-no/OABC/close"),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_authorization_header_equals_the_sdks(keys: Any, monkeypatch: Any, call: str) -> None:
    wx = keys["wechatpay"]
    invoke, answer, path = CALLS[call]
    sent: list[Any] = []
    monkeypatch.setattr("urllib.request.urlopen", _answering(wx, answer, sent))
    invoke(WechatPay({**wx, "sandbox": False}))
    [request] = sent
    assert request.get_method() == "POST" and request.full_url == "https://api.mch.weixin.qq.com" + path
    ours = request.headers["Authorization"]
    fields = dict(part.split("=", 1) for part in ours.split(" ", 1)[1].split(","))
    ts, nonce = fields["timestamp"].strip('"'), fields["nonce_str"].strip('"')
    # The SDK, at our timestamp with our nonce and body, writes the very same header
    monkeypatch.setattr(wx_utils.time, "time", lambda: int(ts))
    theirs = wx_utils.build_authorization(
        path, "POST", wx["mchid"], wx["merchant_serial"],
        wx_utils.load_private_key(wx["merchant_private_key"]),
        data=request.data.decode("utf-8"), nonce_str=nonce)
    assert ours == theirs
    # and Core.sign, the SDK's `\n`-joined rule, agrees on the signature
    sdk_sig = _core(wx).sign(["POST", path, ts, nonce, request.data.decode("utf-8")])
    assert fields["signature"].strip('"') == sdk_sig


def test_a_signature_over_another_message_is_not_the_sdks(keys: Any) -> None:
    """The oracle can tell: without the trailing newline (or with the host in URL) the
    signature differs from the SDK's."""
    wx = keys["wechatpay"]
    body = '{"mchid":"1900000001"}'
    sdk_sig = _core(wx).sign(["POST", "/v3/pay/transactions/out-trade-no/O1/close", "1775354400", "n", body])
    wrong = crypto.sign(wx["merchant_private_key"],
                        f"POST\n/v3/pay/transactions/out-trade-no/O1/close\n1775354400\nn\n{body}".encode())
    assert wrong != sdk_sig


def _sdk_signed_notification(wx: dict[str, Any], order: dict[str, Any], now: datetime) -> tuple[bytes, dict[str, str]]:
    """TRANSACTION.SUCCESS as WeChat Pay posts it: resource sealed with AES-256-GCM (apiv3
    key, associated_data, nonce; `cryptography` directly, not our helper), headers signed
    with the SDK's rsa_sign over `timestamp\\nnonce\\nbody\\n` with the platform key."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    resource = {"appid": wx["appid"], "mchid": wx["mchid"], "out_trade_no": order["order_id"],
                "transaction_id": "4200002026040500000000000001", "trade_type": "NATIVE",
                "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": "2026-04-05T10:00:00+08:00", "payer": {"openid": "o-oracle"},
                "amount": {"total": order["amount_fen"], "payer_total": order["amount_fen"],
                           "currency": "CNY", "payer_currency": "CNY"}}
    nonce, associated = "a1b2c3d4e5f6", "transaction"
    sealed = AESGCM(wx["apiv3_key"].encode()).encrypt(
        nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(), associated.encode())
    body = json.dumps({"id": "EV-oracle-1", "create_time": "2026-04-05T10:00:00+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                       "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(sealed).decode(),
                                    "associated_data": associated, "nonce": nonce}},
                      ensure_ascii=False)
    ts, header_nonce = str(int(now.timestamp())), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    sig = wx_utils.rsa_sign(wx_utils.load_private_key(wx["platform_private_key"]),
                            f"{ts}\n{header_nonce}\n{body}\n")
    headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": header_nonce,
               "Wechatpay-Signature": sig, "Wechatpay-Serial": wx["platform_serial"],
               "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
               "Content-Type": "application/json"}
    assert _core(wx).callback(headers, body)["resource"]["out_trade_no"] == order["order_id"]
    return body.encode(), headers


def test_sdk_signed_notification_is_accepted_by_our_webhook(api: Any, pdeps: Any, clock: Any,
                                                            keys: Any) -> None:
    from chalicelib.billing import orders
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, clock.now())
    body, headers = _sdk_signed_notification(keys["wechatpay"], order, clock.now())
    r = api.call("POST", "/webhooks/wechatpay", body=body, headers=headers)
    assert r.status_code in (200, 204), r.body  # WeChat Pay takes 200 or 204 as acknowledged
    assert get_order(order["order_id"]).status == "paid"
    # the same notification with another associated_data does not decrypt: not credited twice,
    # and a fresh order is not paid by it
    order2_acc, rid2 = approved_registration(pdeps, clock.now(), name="闻一")
    order2 = orders.create_order(pdeps, order2_acc.user_sub, rid2, "wechatpay", False, clock.now())
    body2, headers2 = _sdk_signed_notification(keys["wechatpay"], order2, clock.now())
    doc = json.loads(body2)
    doc["resource"]["associated_data"] = "refund"
    tampered = json.dumps(doc, ensure_ascii=False)
    headers2["Wechatpay-Signature"] = wx_utils.rsa_sign(
        wx_utils.load_private_key(keys["wechatpay"]["platform_private_key"]),
        f"{headers2['Wechatpay-Timestamp']}\n{headers2['Wechatpay-Nonce']}\n{tampered}\n")
    assert _core(keys["wechatpay"]).callback(headers2, tampered) is None  # the SDK refuses it too
    r = api.call("POST", "/webhooks/wechatpay", body=tampered.encode(), headers=headers2)
    assert r.status_code >= 400
    assert get_order(order2["order_id"]).status == "open"


def test_our_sandbox_notifications_pass_the_sdks_check(keys: Any) -> None:
    from chalicelib.dev.sandbox import wechat_payment_notification
    wx = keys["wechatpay"]
    body, headers = wechat_payment_notification(wx, "OABC", 49000, "4200TX", NOW)
    data = _core(wx).callback(headers, body)
    assert data["event_type"] == "TRANSACTION.SUCCESS"
    assert data["resource"]["out_trade_no"] == "OABC" and data["resource"]["amount"]["total"] == 49000


def test_phone_orders_carry_what_the_sdk_sends(keys: Any, monkeypatch: Any) -> None:
    """H5 and JSAPI bodies hold the fields wechatpayv3's `pay()` sends for those products
    (scene_info with payer_client_ip and h5_info; payer.openid), on the SDK's own paths."""
    from wechatpayv3 import WeChatPay, WeChatPayType
    wx = keys["wechatpay"]
    sdk_sent: list[tuple[str, dict[str, Any]]] = []

    class _R:
        status_code, headers, text = 200, {"Content-Type": "application/json"}, "{}"

    def fake_post(url: str, json: Any = None, **kw: Any) -> Any:
        sdk_sent.append((url, json))
        return _R()
    monkeypatch.setattr("wechatpayv3.core.requests.post", fake_post)
    monkeypatch.setattr(wx_core.Core, "_verify_signature", lambda self, h, b: True)
    for kind, extra in (("h5", {"scene_info": {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}}}),
                        ("jsapi", {"payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}})):
        sdk = WeChatPay(wechatpay_type=getattr(WeChatPayType, kind.upper()), mchid=wx["mchid"],
                        private_key=wx["merchant_private_key"], cert_serial_no=wx["merchant_serial"],
                        appid=wx["appid"], apiv3_key=wx["apiv3_key"], notify_url="https://x/webhooks/wechatpay",
                        public_key=wx["platform_keys"][wx["platform_serial"]], public_key_id=wx["platform_serial"])
        sdk.pay(description="在职培训 培训费", out_trade_no="OABC", amount={"total": 49000, "currency": "CNY"},
                **extra)
        invoke, answer, path = CALLS[kind]
        sent: list[Any] = []
        monkeypatch.setattr("urllib.request.urlopen", _answering(wx, answer, sent))
        invoke(WechatPay({**wx, "sandbox": False}))
        url, theirs = sdk_sent[-1]
        ours = json.loads(sent[0].data)
        assert url.endswith(path) and sent[0].full_url.endswith(path)
        assert set(theirs) <= set(ours), (kind, sorted(theirs), sorted(ours))
        for field in ("appid", "mchid", "out_trade_no", "amount", "notify_url"):
            assert ours[field] == theirs[field]
        if kind == "h5":
            assert ours["scene_info"]["payer_client_ip"] == "203.0.113.7"
            assert ours["scene_info"]["h5_info"]["type"] == "Wap"
        else:
            assert ours["payer"] == theirs["payer"]


def test_jsapi_pay_sign_equals_the_sdks(keys: Any, monkeypatch: Any) -> None:
    """The WeixinJSBridge parameters: paySign is the SDK's `sign([appId, timeStamp,
    nonceStr, package])` (SHA256-RSA over the four lines, merchant key)."""
    from wechatpayv3 import WeChatPay, WeChatPayType
    wx = keys["wechatpay"]
    invoke, answer, _ = CALLS["jsapi"]
    monkeypatch.setattr("urllib.request.urlopen", _answering(wx, answer, []))
    link = invoke(WechatPay({**wx, "sandbox": False}))
    params = link["jsapi_params"]
    assert link["product"] == "wechat_jsapi"
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert params["appId"] == wx["appid"] and params["signType"] == "RSA"
    sdk = WeChatPay(wechatpay_type=WeChatPayType.JSAPI, mchid=wx["mchid"],
                    private_key=wx["merchant_private_key"], cert_serial_no=wx["merchant_serial"],
                    appid=wx["appid"], apiv3_key=wx["apiv3_key"],
                    public_key=wx["platform_keys"][wx["platform_serial"]], public_key_id=wx["platform_serial"])
    assert params["paySign"] == sdk.sign([params["appId"], params["timeStamp"], params["nonceStr"],
                                          params["package"]])


def test_the_simulated_order_api_takes_the_sdks_request_and_the_sdk_takes_its_answer(
        api: Any, pdeps: Any, clock: Any, keys: Any, foreign_keys: Any, monkeypatch: Any) -> None:
    """An outside client (wechatpayv3, gateway pointed at /dev/pay/wechatpay) places an H5
    order with the dev keys: the simulated API verifies its Authorization header, answers an
    h5_url, and the SDK verifies the answer's signature with the platform public key. A
    request signed by another key gets WeChat's 401 SIGN_ERROR; H5 without scene_info 400."""
    from wechatpayv3 import WeChatPay, WeChatPayType
    wx = keys["wechatpay"]
    monkeypatch.setattr(wx_utils.time, "time", lambda: int(clock.now().timestamp()))

    class _R:
        def __init__(self, r: Any) -> None:
            self.status_code, self.headers, self.text = r.status_code, dict(r.headers), r.body.decode()

    def post(url: str, json: Any = None, headers: Any = None, **kw: Any) -> Any:
        import json as _json
        path = url.removeprefix("http://127.0.0.1:8000")
        return _R(api.call("POST", path, body=_json.dumps(json).encode(), headers=headers))
    monkeypatch.setattr("wechatpayv3.core.requests.post", post)

    def sdk(private_key: str) -> Any:
        client = WeChatPay(wechatpay_type=WeChatPayType.H5, mchid=wx["mchid"], private_key=private_key,
                           cert_serial_no=wx["merchant_serial"], appid=wx["appid"], apiv3_key=wx["apiv3_key"],
                           notify_url="http://127.0.0.1:8000/webhooks/wechatpay",
                           public_key=wx["platform_keys"][wx["platform_serial"]],
                           public_key_id=wx["platform_serial"])
        client._core._gate_way = "http://127.0.0.1:8000/dev/pay/wechatpay"
        return client
    scene = {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}}
    code, text = sdk(wx["merchant_private_key"]).pay(
        description="在职培训 培训费", out_trade_no="OSDK1", amount={"total": 49000}, scene_info=scene)
    assert code == 200 and "/dev/pay/wechatpay/checkmweb?prepay_id=wx" in json.loads(text)["h5_url"]
    code, text = sdk(foreign_keys["wechatpay"]["merchant_private_key"]).pay(
        description="在职培训 培训费", out_trade_no="OSDK1", amount={"total": 49000}, scene_info=scene)
    assert code == 401 and json.loads(text)["code"] == "SIGN_ERROR"
    code, text = sdk(wx["merchant_private_key"]).pay(
        description="在职培训 培训费", out_trade_no="OSDK1", amount={"total": 49000},
        scene_info={"payer_client_ip": "203.0.113.7"})
    assert code == 400 and json.loads(text)["code"] == "PARAM_ERROR"


def test_our_order_sends_attach_as_the_sdk_sends_it(keys: Any, monkeypatch: Any) -> None:
    """The registration id rides in `attach` (string[1,128]): our Native order body holds it
    under the same name and value as wechatpayv3's `pay(attach=...)`."""
    from dataclasses import replace
    from wechatpayv3 import WeChatPay, WeChatPayType
    wx = keys["wechatpay"]
    sdk_sent: list[dict[str, Any]] = []

    class _R:
        status_code, headers, text = 200, {"Content-Type": "application/json"}, "{}"
    monkeypatch.setattr("wechatpayv3.core.requests.post", lambda url, json=None, **kw: sdk_sent.append(json) or _R())
    monkeypatch.setattr(wx_core.Core, "_verify_signature", lambda self, h, b: True)
    WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=wx["mchid"], private_key=wx["merchant_private_key"],
              cert_serial_no=wx["merchant_serial"], appid=wx["appid"], apiv3_key=wx["apiv3_key"],
              notify_url="https://x/webhooks/wechatpay", public_key=wx["platform_keys"][wx["platform_serial"]],
              public_key_id=wx["platform_serial"]).pay(
        description="在职培训 培训费", out_trade_no="OABC", amount={"total": 49000}, attach="reg=RABC123")
    invoke, answer, _ = CALLS["native"]
    sent: list[Any] = []
    monkeypatch.setattr("urllib.request.urlopen", _answering(wx, answer, sent))
    WechatPay({**wx, "sandbox": False}).pay_link(replace(_pay("desktop"), registration_id="RABC123"), NOW)
    assert json.loads(sent[0].data)["attach"] == sdk_sent[0]["attach"] == "reg=RABC123"
    sent.clear()
    WechatPay({**wx, "sandbox": False}).pay_link(_pay("desktop"), NOW)  # a group order: none
    assert "attach" not in json.loads(sent[0].data)


def test_the_simulator_hands_back_the_attach_the_sdk_sent(api: Any, pdeps: Any, clock: Any,
                                                          keys: Any, monkeypatch: Any) -> None:
    """wechatpayv3 places the Native order (with attach) at the simulated order API over
    HTTP; the simulator's payment notification for that trade decrypts, by the SDK's own
    `callback`, to a resource whose `attach` is what the SDK sent, and it credits our order
    in one BatchGetItem of order + registration. An attach over 128 characters is refused
    as WeChat Pay refuses it."""
    from wechatpayv3 import WeChatPay, WeChatPayType
    from chalicelib.billing import orders, payments
    from chalicelib.dev import sandbox
    wx = keys["wechatpay"]
    monkeypatch.setattr(wx_utils.time, "time", lambda: int(clock.now().timestamp()))
    acc, rid = approved_registration(pdeps, clock.now())
    order = orders.create_order(pdeps, acc.user_sub, rid, "wechatpay", False, clock.now())

    class _R:
        def __init__(self, r: Any) -> None:
            self.status_code, self.headers, self.text = r.status_code, dict(r.headers), r.body.decode()

    def post(url: str, json: Any = None, headers: Any = None, **kw: Any) -> Any:
        import json as _json
        return _R(api.call("POST", url.removeprefix("http://127.0.0.1:8000"),
                           body=_json.dumps(json).encode(), headers=headers))
    monkeypatch.setattr("wechatpayv3.core.requests.post", post)
    sdk = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=wx["mchid"], private_key=wx["merchant_private_key"],
                    cert_serial_no=wx["merchant_serial"], appid=wx["appid"], apiv3_key=wx["apiv3_key"],
                    notify_url="http://127.0.0.1:8000/webhooks/wechatpay",
                    public_key=wx["platform_keys"][wx["platform_serial"]], public_key_id=wx["platform_serial"])
    sdk._core._gate_way = "http://127.0.0.1:8000/dev/pay/wechatpay"
    code, text = sdk.pay(description="在职培训 培训费", out_trade_no="OSDK2", amount={"total": 49000},
                         attach="x" * 129)
    assert code == 400 and json.loads(text)["code"] == "PARAM_ERROR"
    code, _ = sdk.pay(description="在职培训 培训费", out_trade_no=order["order_id"],
                      amount={"total": 49000}, attach=f"reg={rid}")
    assert code == 200 and sandbox.wechat_attach_of(order["order_id"]) == f"reg={rid}"
    body, headers = sandbox.wechat_payment_notification(
        wx, order["order_id"], 49000, "4200ATTACHSDK", clock.now(),
        attach=sandbox.wechat_attach_of(order["order_id"]))
    data = _core(wx).callback(headers, body.decode())
    assert data["resource"]["attach"] == f"reg={rid}"
    note = WechatPay({**wx, "sandbox": False}).parse_notification(body, headers, clock.now())
    assert note.registration_hint == rid
    assert payments.handle_wechatpay(pdeps, body, headers, clock.now()) == (204, None)
    assert get_order(order["order_id"]).status == "paid"
