"""Test fixtures: an embedded AWS (moto's server, one per xdist worker), built from the same
definitions as `make run` and infra/. The Cognito pool lives for the session (creating one
costs ~0.5 s); every test gets its own fresh tables and buckets (a new prefix)."""
from __future__ import annotations

import itertools
import logging
import os
import socket
from datetime import datetime
from typing import Any, Iterator

import pytest

from devtools.appclient import PASSWORD, AppClient, unique_email  # noqa: F401 - re-exported to tests

# The environment the app reads; set before the app is imported.
os.environ.update({
    "APP_STAGE": "test", "AWS_REGION": "ap-southeast-1", "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "TABLE_PREFIX": "t0-", "BUCKET_PREFIX": "t0-", "USER_POOL_NAME": "t-users",
    "MAIL_SENDER": "noreply@lsc.example.org", "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
})
for var in ("AWS_PROFILE", "USER_POOL_ID", "USER_POOL_CLIENT_ID"):
    os.environ.pop(var, None)
logging.getLogger("werkzeug").setLevel(logging.ERROR)

_prefixes = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from devtools.moto_atomic import make_dynamodb_atomic
    make_dynamodb_atomic()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import create_user_pool
    create_user_pool(load_settings())
    yield endpoint
    server.stop()


def fresh_stack(prefix: str) -> Any:
    """Fresh tables and buckets under `prefix`, the editions seeded; returns the app's Deps."""
    from chalicelib.platform.deps import get_deps, reset_deps
    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import create_resources, seed
    os.environ["TABLE_PREFIX"] = prefix
    os.environ["BUCKET_PREFIX"] = prefix
    reset_deps()
    settings = load_settings()
    create_resources(settings)
    seed(settings, staff=False)
    return get_deps()


@pytest.fixture
def stack(moto_endpoint: str) -> Iterator[Any]:
    """Every test gets its own tables and buckets (a new prefix)."""
    from chalicelib.platform.deps import reset_deps
    yield fresh_stack(f"t{next(_prefixes)}-")
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
