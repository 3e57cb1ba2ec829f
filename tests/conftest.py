"""Test fixtures: an embedded AWS (moto's server, one per xdist worker), built from the same
definitions as `make run` and infra/. The Cognito pool lives for the session (creating one
costs ~0.5 s); every test gets its own fresh tables and buckets (a new prefix)."""
from __future__ import annotations

import itertools
import logging
import os
import socket
import uuid
from datetime import datetime
from typing import Any, Iterator

import pytest

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
PASSWORD = "Passw0rd!x"


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
    from chalicelib.settings import load_settings
    from devtools.bootstrap import create_user_pool
    create_user_pool(load_settings())
    yield endpoint
    server.stop()


def fresh_stack(prefix: str) -> Any:
    """Fresh tables and buckets under `prefix`, the editions seeded; returns the app's Deps."""
    from chalicelib.services.context import get_deps, reset_deps
    from chalicelib.settings import load_settings
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
    from chalicelib.services.context import reset_deps
    yield fresh_stack(f"t{next(_prefixes)}-")
    reset_deps()


@pytest.fixture
def deps(stack: Any) -> Any:
    return stack


@pytest.fixture
def clock(deps: Any) -> Any:
    """A fixed application clock: registration open (2026-04-05 10:00 Asia/Shanghai)."""
    from chalicelib.clock import FixedClock, parse_instant
    fixed = FixedClock(parse_instant("2026-04-05T10:00:00+08:00"))
    deps.clock = fixed
    return fixed


def at(text: str) -> datetime:
    from chalicelib.clock import parse_instant
    return parse_instant(text)


def unique_email(tag: str = "u") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


class Api:
    """The app through chalice's test client, with helpers that sign people up."""

    def __init__(self, client: Any, deps: Any) -> None:
        self.c = client
        self.deps = deps

    def call(self, method: str, path: str, token: str | None = None, json: Any = None,
             body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        import json as _json
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if json is not None:
            body = _json.dumps(json, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        resp = getattr(self.c.http, method.lower())(path, headers=h, body=body)
        resp.data = _json.loads(resp.body) if resp.body and resp.headers.get(
            "Content-Type", "").startswith("application/json") else None
        return resp

    def get(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, token, json=json, **kw)

    def signup(self, email: str | None = None, name: str = "张三", phone: str = "13800138000",
               **extra: Any) -> tuple[str, str]:
        """Sign up and log in; returns (email, id_token)."""
        email = email or unique_email()
        r = self.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": name,
                                             "phone": phone, **extra})
        assert r.status_code == 201, r.body
        return email, self.login(email)

    def login(self, email: str, password: str = PASSWORD) -> str:
        r = self.post("/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.body
        return str(r.data["id_token"])

    def staff(self, role: str) -> str:
        """A staff member with `role` (a Cognito group), logged in."""
        from chalicelib.services import accounts
        email = unique_email(role)
        accounts.sign_up(self.deps, email=email, password=PASSWORD, name=f"{role}员",
                         phone=None, kind="staff", unit_name=None, credit_code=None,
                         now=self.deps.now(), group=role)
        return self.login(email)

    def register(self, token: str, unit_name: str = "国家图书馆", **extra: Any) -> Any:
        return self.post("/registrations", token, json={
            "unit_name": unit_name, "job_title": "馆员", "region": "北京", **extra})


@pytest.fixture
def api(deps: Any, clock: Any) -> Iterator[Api]:
    from chalice.test import Client

    from app import app
    # stage "test": no stage variables, so the per-test prefixes above stay in force
    with Client(app, stage_name="test") as client:
        yield Api(client, deps)
