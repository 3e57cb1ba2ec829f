"""Test fixtures: an embedded AWS (moto's server, one per xdist worker), built from the same
definitions as `make run` and infra/. The Cognito pool lives for the session (creating one
costs ~0.5 s); every test gets its own fresh tables and buckets (a new prefix)."""
from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, Iterator

import pytest

from devtools import embedded_aws
from devtools.appclient import PASSWORD, AppClient, unique_email  # noqa: F401 - re-exported to tests
from devtools.embedded_aws import fresh_stack  # noqa: F401 - re-exported to tests

# The environment the app reads; set before the app is imported.
embedded_aws.set_environment(embedded_aws.app_environment("t0-", "t-users"))

_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    yield embedded_aws.start()
    embedded_aws.stop()


@pytest.fixture(scope="session")
def sandbox_payment_keys() -> dict[str, Any]:
    """Sandbox merchant/provider key pairs, made once per session: the test stage never
    reads .dev/keys, so no test depends on files `make run` or another test left behind."""
    from chalicelib.dev import install
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    from chalicelib.invoicing.credentials import make_sandbox_credentials
    install()  # the test stage's payment simulators, as app.py installs them in dev
    return {**make_sandbox_keys(), "nuonuo": make_sandbox_credentials()}


@pytest.fixture
def stack(moto_endpoint: str, sandbox_payment_keys: dict[str, Any]) -> Iterator[Any]:
    """Every test gets its own tables and buckets (a new prefix) and the sandbox keys."""
    from chalicelib.platform.deps import reset_deps
    deps = fresh_stack(f"t{next(_prefixes)}-")
    for channel in ("alipay", "wechatpay"):
        deps.extras[f"keys:{channel}"] = sandbox_payment_keys[channel]
    deps.extras["keys:nuonuo"] = sandbox_payment_keys["nuonuo"]  # the tax-provider simulator's
    yield deps
    reset_deps()


@pytest.fixture
def deps(stack: Any) -> Any:
    return stack


@pytest.fixture
def clock(deps: Any) -> Any:
    """A fixed application clock: registration open (2026-04-05 10:00 Asia/Shanghai)."""
    from chalicelib.platform.clock import FixedClock, parse_instant
    fixed = FixedClock(parse_instant("2026-04-05T10:00:00+08:00"))
    deps.clock = fixed
    return fixed


def at(text: str) -> datetime:
    from chalicelib.platform.clock import parse_instant
    return parse_instant(text)


class Api(AppClient):
    """The app through chalice's test client, with helpers that sign people up."""


@pytest.fixture
def api(deps: Any, clock: Any) -> Iterator[Api]:
    from chalice.test import Client

    from app import app
    # stage "test": no stage variables, so the per-test prefixes above stay in force
    with Client(app, stage_name="test") as client:
        yield Api(client, deps)
