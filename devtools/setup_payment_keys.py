"""`make run` step: sandbox key pairs for Alipay and WeChat Pay, generated once into
settings.dev_keys_dir (.dev/keys, gitignored). Prod reads the same JSON documents from
Secrets Manager (<PAYMENT_SECRETS_PREFIX>alipay / wechatpay)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib.platform.settings import Settings


def run(settings: Settings) -> list[str]:
    keys_dir = Path(settings.dev_keys_dir)
    keys_dir.mkdir(parents=True, exist_ok=True)
    created = []
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    docs = None
    for channel in ("alipay", "wechatpay"):
        path = keys_dir / f"{channel}.json"
        if path.exists():
            continue
        docs = docs or make_sandbox_keys()
        path.write_text(json.dumps(docs[channel], ensure_ascii=False, indent=2), "utf-8")
        os.chmod(path, 0o600)
        created.append(channel)
    state = f"generated {', '.join(created)}" if created else "kept"
    return [f"Sandbox payment keys ({state}): {keys_dir.resolve()}/alipay.json, wechatpay.json "
            f"(merchant + sandbox provider key pairs; cashier: GET /dev/pay/<order_id>)"]
