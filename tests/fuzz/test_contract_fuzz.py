"""Fuzzing from the contract: schemathesis generates requests for every operation of the
OpenAPI document the app serves (/openapi.json), sends them through chalice's local gateway
(in-process: a requests adapter, so schemathesis sees ordinary responses), signed in with a
token of a role the operation admits, and checks: no 5xx, every response matches its
declared schema, status and content type.

Budget: FUZZ_MAX_EXAMPLES examples per operation (default 5, derandomized: the same cases on
every run); `make fuzz` sets 500."""
from __future__ import annotations

import io
import os
import time
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, Phase, settings
from requests.structures import CaseInsensitiveDict

import schemathesis
from schemathesis import checks as st_checks
from tests.conftest import Api, unique_email

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
BASE_URL = "http://lsc.test"


def _document() -> dict[str, Any]:
    import app  # noqa: F401 - registers every route (tests/conftest.py set the environment)
    from chalicelib.platform.openapi import build_document
    return build_document()


schema = schemathesis.openapi.from_dict(_document())
schema.config.update(base_url=BASE_URL)


class ChaliceAdapter(requests.adapters.BaseAdapter):
    """A requests transport that hands the request to chalice's local API Gateway."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.sent += 1
        answer = as_deployed_gateway(self._handle(request.method or "GET", path, dict(request.headers), body))
        content = answer.get("body") or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        if answer.get("isBase64Encoded"):
            import base64
            content = base64.b64decode(content)
        headers = {k: v for k, v in (answer.get("headers") or {}).items()}
        response = requests.Response()
        response.status_code = int(answer["statusCode"])
        response._content = content
        response.headers = CaseInsensitiveDict(headers)
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), headers=headers, status=response.status_code,
                                            version=11, preload_content=False)
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if response.status_code < 400 else "Error"
        response.encoding = "utf-8"
        return response

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """chalice.test's client without its last step (it cannot take a body-less answer,
        e.g. to OPTIONS); the local gateway's own errors become their status."""
        from chalice.local import LocalGatewayException
        http = self.client.http
        scoped = http._config.scope(http._config.chalice_stage, "api_handler")
        with http._patched_env_vars(scoped.environment_variables):
            try:
                return http._local_gateway.handle_request(method=method.upper(), path=path,  # type: ignore[no-any-return]
                                                          headers=headers, body=body)
            except LocalGatewayException as exc:
                return {"statusCode": exc.CODE, "headers": exc.headers, "body": exc.body or b""}

    def close(self) -> None:
        pass


def _gateway_responses() -> dict[str, tuple[int | None, str, str]]:
    """infra/stacks/api.py's GATEWAY_RESPONSES, read without importing the CDK."""
    import ast
    from pathlib import Path
    tree = ast.parse((Path(__file__).resolve().parents[2] / "infra/stacks/api.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "GATEWAY_RESPONSES":
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
    raise AssertionError("GATEWAY_RESPONSES not found in infra/stacks/api.py")


GATEWAY = _gateway_responses()


def as_deployed_gateway(answer: dict[str, Any]) -> dict[str, Any]:
    """The deployed API Gateway answers its own refusals (no token, unknown route) in the
    contract's error shape (infra/stacks/api.py); chalice's local gateway answers
    `{"message": ...}` without a Content-Type. Play the deployed gateway's part."""
    import json
    body = answer.get("body")
    try:
        data = json.loads(body) if body else None
    except (TypeError, ValueError):
        data = None
    has_type = any(k.lower() == "content-type" for k in (answer.get("headers") or {}))
    gateway_answer = isinstance(data, dict) and set(data) == {"message"}
    if not gateway_answer and (has_type or int(answer["statusCode"]) < 400):
        return answer
    status = int(answer["statusCode"])
    kind = {401: "UNAUTHORIZED", 403: "MISSING_AUTHENTICATION_TOKEN"}.get(status, "DEFAULT_4XX")
    new_status, code, message = GATEWAY[kind]
    return {"statusCode": new_status or status, "body": json.dumps({"Code": code, "Message": message}),
            "headers": {"Content-Type": "application/json; charset=utf-8"}}


class FuzzStack:
    def __init__(self, session: requests.Session, tokens: dict[str, str], prefix: str, deps: Any) -> None:
        self.session, self.tokens, self.prefix, self.deps = session, tokens, prefix, deps


@pytest.fixture(scope="module")
def fuzz_stack(moto_endpoint: str) -> Iterator[FuzzStack]:
    """Its own stack (the fuzzer may create editions, members, accounts): a trainee with an
    approved registration, a unit account and an admin."""
    from chalice.test import Client

    from app import app
    from chalicelib.platform.clock import FixedClock
    from chalicelib.registration import service as registrations
    from tests.conftest import at
    from tests.security.world import UNIT_CODE, fresh_stack
    prefix, deps = fresh_stack()
    deps.clock = FixedClock(at("2026-04-05T10:00:00+08:00"))
    with Client(app, stage_name="test") as client:
        api = Api(client, deps)
        _, trainee = api.signup(unique_email("fuzz"), name="模糊测试")
        reg = api.register(trainee)
        registrations.approve(deps, reg.data["registration_id"], "reviewer", deps.now())
        _, unit = api.signup(unique_email("fuzzunit"), name="单位", kind="unit",
                             unit_name="国家图书馆", credit_code=UNIT_CODE)
        tokens = {"trainee": trainee, "unit": unit, "admin": api.staff("admin")}
        session = requests.Session()
        adapter = ChaliceAdapter(client)
        session.mount(BASE_URL, adapter)
        started = time.monotonic()
        yield FuzzStack(session, tokens, prefix, deps)
        # The numbers docs/hardening.md quotes (`-s` shows them).
        print(f"\nfuzz: {adapter.sent} requests in {time.monotonic() - started:.1f} s "
              f"(FUZZ_MAX_EXAMPLES={MAX_EXAMPLES})")


def token_for(roles: tuple[str, ...], tokens: dict[str, str]) -> str | None:
    """A trainee token where trainees are admitted, else the unit's, else the admin's."""
    if not roles:
        return None
    for role in ("trainee", "unit", "admin"):
        if role in roles:
            return tokens[role]
    return tokens["admin"]


def _roles(method: str, path: str) -> tuple[str, ...]:
    from chalicelib.platform.http import REGISTRY
    for spec in REGISTRY.routes:
        if spec.method == method.upper() and spec.path == path:
            return spec.roles
    return ()


CHECKS = [st_checks.not_a_server_error, st_checks.response_schema_conformance,
          st_checks.status_code_conformance, st_checks.content_type_conformance]


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
def test_operation_holds_its_contract(case: Any, fuzz_stack: FuzzStack) -> None:
    os.environ["TABLE_PREFIX"] = os.environ["BUCKET_PREFIX"] = fuzz_stack.prefix
    from chalicelib.platform.deps import set_deps
    set_deps(fuzz_stack.deps)
    token = token_for(_roles(case.method, case.path), fuzz_stack.tokens)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = case.call(session=fuzz_stack.session, headers=headers)
    checks = CHECKS
    if case.path.startswith(("/webhooks/", "/dev/pay/alipay/", "/dev/pay/wechatpay/", "/dev/tax/")):
        # The providers dictate these replies (Alipay: `success`/`fail` text or its gateway's
        # error page; WeChat Pay: {"code","message"}; 诺诺: {code, describe, result}): checked
        # by tests/billing, tests/invoicing and tests/security, not by our Error schema.
        checks = [st_checks.not_a_server_error]
    case.validate_response(response, checks=checks, headers=headers)
