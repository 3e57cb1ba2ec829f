"""Merchant keys and provider public keys.

Prod: one JSON secret per provider in AWS Secrets Manager, read through Powertools
Parameters (cached for 5 minutes): `<PAYMENT_SECRETS_PREFIX>alipay`, `...wechatpay`.
Dev: the same JSON documents as files in `settings.dev_keys_dir` (`alipay.json`,
`wechatpay.json`), written once by devtools/setup_payment_keys.py with sandbox key pairs;
a sandbox file also holds the *provider's* private key, which only the dev stage's
simulators (chalicelib/dev) use to sign the notifications they send. Sandbox documents say
`"sandbox": true`; outside the dev and test stages such a document is refused.

alipay:    app_id, merchant_private_key (PEM), alipay_public_key (PEM), gateway,
           [sandbox, alipay_private_key]
wechatpay: mchid, appid, apiv3_key (32 chars), merchant_serial, merchant_private_key,
           platform_keys {serial: public PEM}, api_base, [sandbox, platform_private_key,
           platform_serial]
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.platform.errors import RetryLaterError

REQUIRED = {
    "alipay": ("app_id", "merchant_private_key", "alipay_public_key"),
    "wechatpay": ("mchid", "appid", "apiv3_key", "merchant_serial", "merchant_private_key",
                  "platform_keys"),
}


class KeysMissingError(RetryLaterError):
    """The provider's keys are not configured: the channel is unavailable (503), not a bug
    in the request."""
    code = "PAYMENT_CHANNEL_UNAVAILABLE"

    def __init__(self, detail: str) -> None:
        super().__init__("该支付渠道暂不可用，请稍后重试或选择其他交费方式")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class SandboxKeysRefusedError(KeysMissingError):
    """A sandbox key document outside the dev and test stages: a deployment mistake. The
    channel stays unavailable until real merchant keys are configured."""


def _check(channel: str, data: dict[str, Any], settings: Any) -> dict[str, Any]:
    if data.get("sandbox") and not settings.is_dev:
        raise SandboxKeysRefusedError(
            f"{channel} keys are marked \"sandbox\": true; stage {settings.stage} takes only "
            "real merchant keys (remove the sandbox document from the secret)")
    missing = [k for k in REQUIRED[channel] if not data.get(k)]
    if missing:
        raise KeysMissingError(f"{channel} keys lack {', '.join(missing)}")
    if channel == "wechatpay" and len(str(data["apiv3_key"]).encode()) != 32:
        raise KeysMissingError("wechatpay apiv3_key must be 32 bytes")
    return data


def load_keys(deps: Any, channel: str) -> dict[str, Any]:
    """The key document of `channel`; tests put one in `deps.extras["keys:<channel>"]`."""
    preset = deps.extras.get(f"keys:{channel}")
    if preset is not None:
        return _check(channel, dict(preset), deps.settings)
    settings = deps.settings
    if settings.is_dev:
        path = Path(settings.dev_keys_dir) / f"{channel}.json"
        if not path.exists():
            raise KeysMissingError(f"{path} is missing: run `make run` (devtools/setup_payment_keys.py)")
        return _check(channel, json.loads(path.read_text("utf-8")), settings)
    from aws_lambda_powertools.utilities import parameters

    from chalicelib.platform.aws import client
    secrets = parameters.SecretsProvider(boto3_client=client(settings, "secretsmanager"))
    value = secrets.get(f"{settings.payment_secrets_prefix}{channel}", transform="json",
                        max_age=300)
    return _check(channel, dict(value), settings)  # type: ignore[arg-type]
