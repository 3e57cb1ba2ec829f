"""`make run` generates sandbox keys once; dev loads them from files (no AWS needed)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest


def test_keys_generated_once_and_loaded(tmp_path: Path) -> None:
    from chalicelib.billing.providers.keys import KeysMissingError, load_keys
    from chalicelib.platform.settings import Settings
    from devtools.setup_payment_keys import run
    settings = Settings(stage="dev", region="ap-southeast-1", endpoint_url="http://x", table_prefix="d-",
                        bucket_prefix="d-", user_pool_name="p", user_pool_id=None, user_pool_client_id=None,
                        mail_sender="a@b.c", public_base_url="http://127.0.0.1:8000", log_level="INFO",
                        payment_secrets_prefix="/lsc/dev/payments/", dev_keys_dir=str(tmp_path / "keys"))
    deps: Any = SimpleNamespace(settings=settings, extras={})
    with pytest.raises(KeysMissingError):
        load_keys(deps, "alipay")
    first = run(settings)
    assert "generated alipay, wechatpay" in first[0]
    before = (tmp_path / "keys" / "alipay.json").read_text()
    assert "kept" in run(settings)[0]
    assert (tmp_path / "keys" / "alipay.json").read_text() == before
    ali = load_keys(deps, "alipay")
    wx = load_keys(deps, "wechatpay")
    assert ali["sandbox"] is True and "BEGIN PRIVATE KEY" in ali["alipay_private_key"]
    assert len(wx["apiv3_key"]) == 32 and wx["platform_serial"] in wx["platform_keys"]
    # A broken document is refused, naming what is missing
    (tmp_path / "keys" / "wechatpay.json").write_text(json.dumps({**wx, "apiv3_key": "short"}))
    with pytest.raises(KeysMissingError):
        load_keys(deps, "wechatpay")
    assert dataclasses.is_dataclass(settings)
