"""`make run` step: the 诺诺开放平台 credentials of the tax-provider simulator (app key,
secret, access token, seller tax number), generated once into settings.dev_keys_dir
(.dev/keys/nuonuo.json, gitignored). Prod reads the same JSON document from Secrets Manager
(<PAYMENT_SECRETS_PREFIX>nuonuo; chalicelib/invoicing/credentials.py)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib.platform.settings import Settings


def run(settings: Settings) -> list[str]:
    from chalicelib.invoicing.credentials import make_sandbox_credentials
    path = Path(settings.dev_keys_dir) / "nuonuo.json"
    state = "kept"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_sandbox_credentials(), ensure_ascii=False, indent=2), "utf-8")
        os.chmod(path, 0o600)
        state = "generated"
    return [f"Tax-provider simulator credentials ({state}): {path.resolve()} "
            f"(诺诺 protocol at /dev/tax/open/v1/services; POST /dev/tax/fail to make it fail)"]
