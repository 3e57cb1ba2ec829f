"""The Alibaba Cloud SMS adapter against the official SDK (alibabacloud-dysmsapi20170525) as
the oracle: the SDK itself builds, signs and sends the SendSms call to a local stand-in of
dysmsapi.aliyuncs.com, which checks what arrives and answers as the service documents
(Code "OK", or a refusal such as isv.BUSINESS_LIMIT_CONTROL)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.identity.sms_aliyun import AliyunSms, SmsUnavailableError


class _Service(BaseHTTPRequestHandler):
    answer: dict[str, Any] = {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "F655A8D5"}
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        params.update({k: v[0] for k, v in parse_qs(body).items()})
        type(self).seen.append({"params": params, "headers": dict(self.headers)})
        data = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[tuple[str, type[_Service]]]:
    _Service.seen = []
    _Service.answer = {"Code": "OK", "Message": "OK", "BizId": "1^0", "RequestId": "R1"}
    server = HTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", _Service
    server.shutdown()


def _adapter(endpoint: str) -> AliyunSms:
    from types import SimpleNamespace

    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import utils_models as open_api
    sms = AliyunSms(SimpleNamespace(sms_sign_name="中国图书馆学会", sms_template_code="SMS_480000001"))  # type: ignore[arg-type]
    sms._client = Client(open_api.Config(access_key_id="LTAI-test", access_key_secret="secret-test",
                                         endpoint=endpoint, protocol="http"))
    return sms


def test_a_code_goes_out_as_the_sdks_signed_send_sms_call(service: Any) -> None:
    endpoint, seen = service
    _adapter(endpoint).send_code("13800138000", "123456", "phone")
    [call] = seen.seen
    p, headers = call["params"], {k.lower(): v for k, v in call["headers"].items()}
    assert (headers["x-acs-action"], headers["x-acs-version"]) == ("SendSms", "2017-05-25")
    assert (p["PhoneNumbers"], p["SignName"], p["TemplateCode"]) == ("13800138000", "中国图书馆学会", "SMS_480000001")
    assert json.loads(p["TemplateParam"]) == {"code": "123456"}
    # signed (ACS3-HMAC-SHA256) with the AccessKey; the secret itself never travels
    assert headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI-test,")
    assert "secret-test" not in str(call)


def test_a_refusal_by_the_service_is_a_503_to_retry_later(service: Any) -> None:
    endpoint, seen = service
    seen.answer = {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控", "RequestId": "R2"}
    with pytest.raises(SmsUnavailableError) as info:
        _adapter(endpoint).send_code("13800138000", "123456", "phone")
    assert info.value.status == 503 and info.value.code == "SMS_UNAVAILABLE"


def test_an_unreachable_service_is_a_503_too() -> None:
    with pytest.raises(SmsUnavailableError):
        _adapter("127.0.0.1:9").send_code("13800138000", "123456", "phone")
