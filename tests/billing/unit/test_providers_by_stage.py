"""Which payment provider a channel gets is decided by the stage, never by a field in the
keys: prod always talks to the real provider and refuses sandbox keys; dev and test get
the simulators chalicelib.dev registered. No AWS, no network."""
from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.billing.providers import provider
from chalicelib.billing.providers.alipay import Alipay
from chalicelib.billing.providers.keys import KeysMissingError, SandboxKeysRefusedError, load_keys
from chalicelib.billing.providers.wechatpay import WechatPay
from chalicelib.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    from chalicelib.dev import install
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    install()
    return make_sandbox_keys()


def _deps(stage: str, keys: dict[str, Any] | None = None) -> Any:
    settings = Settings(stage=stage, region="ap-southeast-1", endpoint_url=None,
                        table_prefix="x-", bucket_prefix="x-", user_pool_name="p",
                        user_pool_id=None, user_pool_client_id=None, mail_sender="a@b.c",
                        public_base_url="https://training.example.org", log_level="INFO",
                        payment_secrets_prefix="/x/", dev_keys_dir="/nonexistent")
    extras = {f"keys:{c}": doc for c, doc in (keys or {}).items()}
    deps: Any = SimpleNamespace(settings=settings, extras=extras)

    def adapter(name: str, factory: Any) -> Any:
        if name not in extras:
            extras[name] = factory(deps)
        return extras[name]
    deps.adapter = adapter
    return deps


def test_prod_refuses_keys_marked_sandbox(keys: dict[str, Any]) -> None:
    deps = _deps("prod", keys)
    for channel in ("alipay", "wechatpay"):
        with pytest.raises(SandboxKeysRefusedError, match='"sandbox": true'):
            load_keys(deps, channel)
        with pytest.raises(KeysMissingError):  # the channel is unavailable (503), not a 500
            provider(deps, channel)


def test_prod_gets_the_real_adapters_even_with_simulators_registered(keys: dict[str, Any]) -> None:
    real = {c: {k: v for k, v in doc.items() if k != "sandbox"} for c, doc in keys.items()}
    deps = _deps("prod", real)
    assert type(provider(deps, "alipay")) is Alipay
    assert type(provider(deps, "wechatpay")) is WechatPay


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_dev_and_test_get_the_simulators(keys: dict[str, Any], stage: str) -> None:
    from chalicelib.dev.sandbox_providers import SandboxAlipay, SandboxWechatPay
    deps = _deps(stage, keys)
    alipay, wechat = provider(deps, "alipay"), provider(deps, "wechatpay")
    assert (type(alipay), type(wechat)) == (SandboxAlipay, SandboxWechatPay)
    # A sandbox document without its marker is still simulated in dev: the stage decides
    unmarked = _deps(stage, {c: {**d, "sandbox": False} for c, d in keys.items()})
    assert type(provider(unmarked, "alipay")) is SandboxAlipay


def test_the_real_adapters_never_read_a_sandbox_field() -> None:
    for name in ("alipay.py", "wechatpay.py", "__init__.py", "protocol.py"):
        text = (ROOT / "chalicelib" / "billing" / "providers" / name).read_text("utf-8")
        assert '"sandbox"' not in text and ".sandbox" not in text, name


def test_billing_never_imports_dev_code() -> None:
    offenders = []
    for path in (ROOT / "chalicelib" / "billing").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("chalicelib.dev")]
    assert offenders == []
