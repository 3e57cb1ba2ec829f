"""The 诺诺开放平台 credentials: one JSON document.

Prod: the Secrets Manager secret `<PAYMENT_SECRETS_PREFIX>nuonuo` (infra/stacks/platform.py
creates it empty; finance's administrator fills it), read through Powertools Parameters
(cached 5 minutes). Dev: `<DEV_KEYS_DIR>/nuonuo.json`, generated once by
devtools/setup_tax_keys.py (`make run`) for the simulator. A document marked
`"sandbox": true` is refused outside the dev and test stages.

Fields: app_key, app_secret, access_token (a self-use application's token, obtained once
with the app key and secret and renewed by hand: the platform allows 50 token requests in
30 days), tax_num (the seller's 税号, sent as userTax and salerTaxNum), base_url
(default: the production gateway), document_hosts (the hosts PDF/OFD/XML links may point
at), [sandbox]."""
from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Any

from chalicelib.platform.errors import RetryLaterError

REQUIRED = ("app_key", "app_secret", "access_token", "tax_num")


class TaxProviderUnavailableError(RetryLaterError):
    """The provider's credentials are not configured: invoices wait (503), none is lost."""
    code = "INVOICE_PROVIDER_UNAVAILABLE"

    def __init__(self, detail: str) -> None:
        super().__init__("电子发票服务暂不可用，您的开票申请已记录，请稍后查看")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


def check(data: dict[str, Any], settings: Any) -> dict[str, Any]:
    if data.get("sandbox") and not settings.is_dev:
        raise TaxProviderUnavailableError(
            f"nuonuo credentials are marked \"sandbox\": true; stage {settings.stage} takes "
            "only the real application's")
    missing = [k for k in REQUIRED if not data.get(k)]
    if missing:
        raise TaxProviderUnavailableError(f"nuonuo credentials lack {', '.join(missing)}")
    return data


def load_credentials(deps: Any) -> dict[str, Any]:
    """The credential document; tests put one in `deps.extras["keys:nuonuo"]`."""
    preset = deps.extras.get("keys:nuonuo")
    if preset is not None:
        return check(dict(preset), deps.settings)
    settings = deps.settings
    if settings.is_dev:
        path = Path(settings.dev_keys_dir) / "nuonuo.json"
        if not path.exists():
            raise TaxProviderUnavailableError(f"{path} is missing: run `make run` "
                                              "(devtools/setup_tax_keys.py)")
        return check(json.loads(path.read_text("utf-8")), settings)
    from aws_lambda_powertools.utilities import parameters

    from chalicelib.platform.aws import client
    store = parameters.SecretsProvider(boto3_client=client(settings, "secretsmanager"))
    value = store.get(f"{settings.payment_secrets_prefix}nuonuo", transform="json", max_age=300)
    return check(dict(value), settings)  # type: ignore[arg-type]


def make_sandbox_credentials() -> dict[str, Any]:
    """A fresh dev document for the simulator (random app key, secret and token)."""
    alphabet = string.ascii_uppercase + string.digits
    return {"sandbox": True,
            "app_key": "SD" + "".join(secrets.choice(string.digits) for _ in range(8)),
            "app_secret": "SD" + "".join(secrets.choice(alphabet) for _ in range(14)),
            "access_token": secrets.token_hex(16),
            "tax_num": "91110108MA00000000"[:12] + "".join(secrets.choice(string.digits) for _ in range(6)),
            "base_url": "https://tax-simulator.dev.local/open/v1/services",
            "document_hosts": ["tax-simulator.dev.local"]}
