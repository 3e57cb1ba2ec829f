"""Issue 16, failing dependencies: storage, identity (Cognito and its JWKS) unreachable,
timing out or throttling answer 503 RETRY_LATER with Retry-After, never a 500; /health
names the failing part; unknown key ids do not hammer the JWKS; timeouts fit in 29 s."""
from __future__ import annotations

import dataclasses
import time
import urllib.error
from typing import Any

import botocore.client
import jwt
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chalicelib.platform import aws, cognito
from chalicelib.platform.cognito import CognitoIdentity, TokenError
from chalicelib.platform.store import base
from chalicelib.platform.store.faults import is_transient
from tests.api.test_auth_and_input import MOTO_KEY, moto_signed, valid_claims
from tests.conftest import PASSWORD

_real_call = botocore.client.BaseClient._make_api_call


def failing(monkeypatch: Any, service: str, error: Exception) -> None:
    """Every botocore call to `service` raises `error` (as if moto stopped or hung)."""
    def call(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == service:
            raise error
        return _real_call(self, operation, params)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def assert_retry_later(r: Any) -> None:
    assert r.status_code == 503, r.body[:300]
    assert r.data["Code"] == "RETRY_LATER"
    assert int(r.headers["Retry-After"]) > 0


UNREACHABLE = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
HANGING = ReadTimeoutError(endpoint_url="http://127.0.0.1:9")


@pytest.mark.parametrize("error", [UNREACHABLE, HANGING], ids=["unreachable", "timeout"])
def test_storage_down_is_a_503_retry_later_on_routes_and_health(api: Any, monkeypatch: Any,
                                                               error: Exception) -> None:
    _, token = api.signup()
    failing(monkeypatch, "dynamodb", error)
    assert_retry_later(api.get("/registrations/mine", token))
    assert_retry_later(api.post("/registrations", token, json={
        "unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}))
    assert_retry_later(api.get("/editions/current"))
    r = api.get("/health")
    assert_retry_later(r)
    assert r.data["unavailable"] == ["storage"] and "存储" in r.data["Message"]


def test_storage_throttled_is_a_503(api: Any, monkeypatch: Any) -> None:
    _, token = api.signup()
    failing(monkeypatch, "dynamodb", ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Query"))
    assert_retry_later(api.get("/registrations/mine", token))


@pytest.mark.parametrize("error", [
    UNREACHABLE, HANGING,
    ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "x"}}, "InitiateAuth"),
], ids=["unreachable", "timeout", "throttled"])
def test_cognito_down_makes_login_and_signup_503(api: Any, monkeypatch: Any,
                                                error: Exception) -> None:
    email, _ = api.signup()
    failing(monkeypatch, "cognito-idp", error)
    assert_retry_later(api.post("/auth/login", json={"email": email, "password": PASSWORD}))
    assert_retry_later(api.post("/auth/signup", json={
        "email": "new-" + email, "password": PASSWORD, "name": "钱玥"}))


def test_jwks_unreachable_is_a_503_and_health_names_identity(api: Any, monkeypatch: Any) -> None:
    _, token = api.signup()
    identity = api.deps.identity
    monkeypatch.setattr(identity, "_jwks", None)
    monkeypatch.setattr(identity, "_jwks_at", 0.0)

    def down(*_a: Any, **_k: Any) -> Any:
        raise urllib.error.URLError("connection refused")
    monkeypatch.setattr(cognito.urllib.request, "urlopen", down)
    assert_retry_later(api.get("/me", token))
    r = api.get("/health")
    assert_retry_later(r)
    assert r.data["unavailable"] == ["identity"] and "身份认证" in r.data["Message"]


def test_health_is_ok_when_both_parts_answer(api: Any) -> None:
    r = api.get("/health")
    assert r.status_code == 200 and r.data == {"status": "ok"}


def test_thirty_unknown_kids_cause_at_most_one_jwks_fetch(api: Any, monkeypatch: Any) -> None:
    identity = CognitoIdentity(api.deps.settings)
    fetches = []
    real = cognito.urllib.request.urlopen

    def counted(*a: Any, **k: Any) -> Any:
        fetches.append(a[0])
        return real(*a, **k)
    monkeypatch.setattr(cognito.urllib.request, "urlopen", counted)
    claims = valid_claims(api)
    claims["iss"] = identity.issuer
    assert identity.verify(moto_signed(claims))["sub"] == "abc"  # the first fetch
    assert len(fetches) == 1
    for i in range(30):
        with pytest.raises(TokenError) as info:
            identity.verify(moto_signed(claims, kid=f"random-{i}"))
        assert info.value.reason == "unknown_key"
    with pytest.raises(TokenError):
        identity.verify(moto_signed(claims, kid="random-0"))  # negative-cached
    assert len(fetches) <= 2, fetches


def test_a_closed_port_fails_fast_and_counts_as_transient(api: Any) -> None:
    """A fresh identity pointed at a port nobody listens on (moto stopped)."""
    settings = dataclasses.replace(api.deps.settings, endpoint_url="http://127.0.0.1:9",
                                   user_pool_id="ap-southeast-1_x", user_pool_client_id="c")
    identity = CognitoIdentity(settings)
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        identity.login("a@example.com", PASSWORD)
    assert time.monotonic() - started < 10
    assert is_transient(info.value)
    with pytest.raises(Exception) as jwks:
        identity.verify(jwt.encode({"sub": "x"}, jwt.PyJWK(MOTO_KEY).key, algorithm="RS256",
                                   headers={"kid": "dummy"}))
    assert is_transient(jwks.value)


def test_timeouts_and_retries_end_well_inside_api_gateways_29_s(deps: Any) -> None:
    """On AWS (no endpoint) a hanging dependency ends a request well inside 29 s; the
    embedded AWS of the tests is given more patience (it shares a loaded machine)."""
    config = aws.config_for(None)
    attempts = 1 + config.retries["max_attempts"]  # botocore's max_attempts counts the retries
    assert attempts * (config.connect_timeout + config.read_timeout) + 1 <= 16
    prod = dataclasses.replace(deps.settings, stage="prod", endpoint_url=None)
    connect_s, read_s, retries = base.dynamodb_timeouts(prod)
    assert (1 + retries) * (connect_s + read_s) + 2 <= 20
    dynamo = base.connection().client.meta.config  # the test stage's, on moto
    assert dynamo.read_timeout == base.EMBEDDED_READ_TIMEOUT_S
