"""Sandbox key documents (dev `make run` and the tests): real RSA pairs, generated locally,
in the same shape as the prod secrets, plus the provider-side private keys the sandbox
cashier signs notifications with."""
from __future__ import annotations

import secrets
import string
from typing import Any

from chalicelib.billing.providers.crypto import new_rsa_pair


def make_sandbox_keys() -> dict[str, dict[str, Any]]:
    merchant_priv, merchant_pub = new_rsa_pair()
    alipay_priv, alipay_pub = new_rsa_pair()
    wx_merchant_priv, wx_merchant_pub = new_rsa_pair()
    platform_priv, platform_pub = new_rsa_pair()
    platform_serial = "PUB_KEY_ID_" + secrets.token_hex(8).upper()
    alphabet = string.ascii_letters + string.digits
    return {
        "alipay": {"sandbox": True, "app_id": "2021000000000001",
                   "merchant_private_key": merchant_priv, "merchant_public_key": merchant_pub,
                   "alipay_public_key": alipay_pub, "alipay_private_key": alipay_priv,
                   "gateway": "https://openapi-sandbox.dl.alipaydev.com/gateway.do"},
        "wechatpay": {"sandbox": True, "mchid": "1900000001", "appid": "wx0000000000000001",
                      "apiv3_key": "".join(secrets.choice(alphabet) for _ in range(32)),
                      "merchant_serial": secrets.token_hex(20).upper(),
                      "merchant_private_key": wx_merchant_priv,
                      "merchant_public_key": wx_merchant_pub,
                      "platform_keys": {platform_serial: platform_pub},
                      "platform_serial": platform_serial, "platform_private_key": platform_priv},
    }
