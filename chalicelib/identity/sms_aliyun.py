"""Alibaba Cloud SMS (短信服务, Dysmsapi 2017-05-25) through its official SDK: the code goes
out with the registered sign name (签名) and template (模板, e.g. "您的验证码为${code}…").
The AccessKey is a JSON secret in AWS Secrets Manager ({"access_key_id", "access_key_secret"})
named by SMS_SECRET_NAME; sign name and template code come from settings."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.observability import logger
from chalicelib.platform.settings import Settings

ENDPOINT = "dysmsapi.aliyuncs.com"
TIMEOUT_MS = 5000


class SmsUnavailableError(RetryLaterError):
    code = "SMS_UNAVAILABLE"
    message = "短信暂时无法发送，请稍后重试"


class AliyunSms:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    def _sdk(self) -> Any:
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi import utils_models as open_api

            from chalicelib.platform.aws import client
            secret = client(self.settings, "secretsmanager").get_secret_value(
                SecretId=self.settings.sms_secret_name)
            keys = json.loads(secret["SecretString"])
            self._client = Client(open_api.Config(
                access_key_id=keys["access_key_id"], access_key_secret=keys["access_key_secret"],
                endpoint=ENDPOINT, connect_timeout=TIMEOUT_MS, read_timeout=TIMEOUT_MS))
        return self._client

    def request(self, phone: str, code: str) -> Any:
        """The SDK's SendSmsRequest for one code (the template's one parameter: code)."""
        from alibabacloud_dysmsapi20170525 import models
        return models.SendSmsRequest(
            phone_numbers=phone, sign_name=self.settings.sms_sign_name,
            template_code=self.settings.sms_template_code,
            template_param=json.dumps({"code": code}))

    def send_code(self, phone: str, code: str, purpose: str) -> None:
        try:
            response = self._sdk().send_sms(self.request(phone, code))
        except Exception as exc:  # the SDK's own exception types (network, Tea errors)
            logger.warning("sms not sent", extra={"error": type(exc).__name__})
            raise SmsUnavailableError() from exc
        body = response.body
        if body is None or body.code != "OK":  # e.g. isv.BUSINESS_LIMIT_CONTROL
            logger.warning("sms refused", extra={"provider_code": getattr(body, "code", None)})
            raise SmsUnavailableError()
