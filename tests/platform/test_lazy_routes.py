"""Lazy route modules (chalicelib/platform/routing.py): the manifest describes exactly what
the blueprints register, a stub entry is the real entry but for its view, and a prod-stage
process serves its first request importing only that route's feature, then the others on
their first request, and /openapi.json with every route."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chalice import Chalice
from hypothesis import given, settings, strategies as st

ROOT = Path(__file__).resolve().parents[2]
ATTRS = ("uri_pattern", "method", "view_args", "content_types", "authorizer",
         "api_key_required", "cors")


def _app() -> Any:
    import app  # the test stage: every module imported and registered, the manifest written
    return app


def test_the_manifest_describes_what_the_blueprints_register() -> None:
    from chalicelib.platform import routing
    application = _app()
    manifest = routing.read_manifest(application.ROUTE_MODULES)
    assert manifest is not None, "import app writes it when stale (python -m devtools.route_manifest)"
    described = {(s["path"], s["method"]): s for specs in manifest["modules"].values() for s in specs}
    real = {(path, method): entry for path, methods in application.app.routes.items()
            for method, entry in methods.items()
            if entry.view_function.__module__ in application.ROUTE_MODULES}  # not the dev ones
    assert set(described) == set(real)
    for key, entry in real.items():
        assert described[key]["view_name"] == entry.view_name
        assert described[key]["content_types"] == entry.content_types
        assert described[key]["authorizer"] == getattr(entry.authorizer, "name", None)


def test_a_stub_entry_is_the_real_entry_but_for_its_view() -> None:
    from chalicelib.platform import routing
    from chalicelib.platform.http import jwt_authorizer
    application = _app()
    lazy_app = Chalice(app_name="lazy")
    loader = routing.register(lazy_app, application.ROUTE_MODULES,
                              {"jwt_authorizer": jwt_authorizer}, lazy=True)
    assert loader is not None and loader.loaded == set()  # nothing imported for it
    stubs = {(p, m): e for p, ms in lazy_app.routes.items() for m, e in ms.items()}
    assert stubs
    for (path, method), stub in stubs.items():
        real = application.app.routes[path][method]
        assert stub.view_function.__name__.startswith("lazy_")
        for attr in ATTRS:
            assert getattr(stub, attr) == getattr(real, attr), (path, method, attr)
    assert any(s.authorizer is jwt_authorizer for s in stubs.values())


def test_a_stale_manifest_is_not_trusted(tmp_path: Path) -> None:
    from chalicelib.platform import routing
    modules = list(_app().ROUTE_MODULES)
    manifest = json.loads(routing.MANIFEST.read_text("utf-8"))
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest), "utf-8")
    assert routing.read_manifest(modules, path) is not None
    assert routing.read_manifest(modules[:-1], path) is None  # a module added or removed
    path.write_text(json.dumps({**manifest, "fingerprint": "0" * 64}), "utf-8")
    assert routing.read_manifest(modules, path) is None  # a route module's source changed
    path.write_text("{", "utf-8")
    assert routing.read_manifest(modules, path) is None


# What the first request (GET /editions/current) must not load: the roster's import and its
# models (EmailStr: email-validator), the roster's repository, the shared request models,
# spreadsheets; nor pydantic and the Edition model (it answers from the public document
# stored with the edition: editions/public.py).
NOT_FOR_THE_FIRST_REQUEST = ("email_validator", "chalicelib.editions.members",
                             "chalicelib.editions.models", "chalicelib.platform.schemas",
                             "chalicelib.platform.spreadsheets", "openpyxl",
                             "pydantic", "pydantic_core", "chalicelib.editions.edition",
                             "chalicelib.editions.members_repository")

PROD_CHILD = r'''
import json, sys
NOT_FIRST = json.loads(sys.argv[1])
from app import app
from chalicelib.platform import routing
first = app.routes["/editions/current"]["GET"].view_function.__name__
def get(path, resource=None):
    event = {"resource": resource or path, "path": path, "httpMethod": "GET",
             "headers": {"Host": "localhost", "Accept": "application/json"},
             "multiValueHeaders": {}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": None,
             "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": resource or path, "httpMethod": "GET",
                                "stage": "api", "requestId": "t", "path": "/api" + path,
                                "identity": {"sourceIp": "127.0.0.1"}}}
    return app(event, None)
def features():
    return sorted({m.split(".")[1] for m in sys.modules
                   if m.startswith("chalicelib.") and m.endswith("routes")})
out = {"first_view": first}
r = get("/editions/current")
out["edition"] = (r["statusCode"], json.loads(r["body"]).get("edition_id"))
out["after_edition"] = features()
out["loaded_by_edition"] = sorted(m for m in NOT_FIRST if m in sys.modules)
r = get("/certificates/mine")
out["mine"] = (r["statusCode"], json.loads(r["body"]).get("Code"))
out["after_mine"] = features()
r = get("/openapi.json")
out["openapi"] = (r["statusCode"], len(json.loads(r["body"])["paths"]))
out["after_openapi"] = features()
out["loaded_by_openapi"] = sorted(m for m in NOT_FIRST if m in sys.modules)
print(json.dumps(out))
'''


def test_prod_loads_each_feature_on_its_first_request(deps: Any) -> None:
    from bench.cold_start import child_env
    from chalicelib.platform import routing
    application = _app()
    assert routing.read_manifest(application.ROUTE_MODULES) is not None
    env = child_env(str(ROOT), "prod")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    run = subprocess.run([sys.executable, "-c", PROD_CHILD, json.dumps(NOT_FOR_THE_FIRST_REQUEST)],
                         cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # Given a prod process: every route is a stub until its module is needed
    assert out["first_view"].startswith("lazy_")
    # The first request is served, importing only the editions' routes (and the platform's
    # own, which app.py needs for nothing else: none)
    assert out["edition"][0] == 200 and out["edition"][1]
    assert out["after_edition"] == ["editions"]
    # ... and of the editions' module only what that route needs: no roster, no request
    # models (they are named by import string and built by their own route's first call)
    assert out["loaded_by_edition"] == []
    # A route of another feature loads that feature; its boundary answers as always (no
    # token: 401 in the API's own error format)
    assert out["mine"] == [401, "UNAUTHORIZED"]
    assert out["after_mine"] == ["certificates", "editions"]
    # The OpenAPI document loads every module first, so it lists every route
    documented = {p for p, methods in application.app.routes.items()
                  if any(e.view_function.__module__ in application.ROUTE_MODULES
                         for e in methods.values())}
    assert out["openapi"][0] == 200 and out["openapi"][1] == len(documented)
    assert len(out["after_openapi"]) == len({m.split(".")[1] for m in application.ROUTE_MODULES})
    # the document is built from the models, so it resolves every one of them
    assert {"email_validator", "chalicelib.editions.models",
            "chalicelib.platform.schemas"} <= set(out["loaded_by_openapi"])
    assert os.environ["APP_STAGE"] == "test"  # this process was never switched


SWAGGER_CHILD = r'''
import json
from app import app
from chalice.deploy.swagger import TemplatedSwaggerGenerator
assert app.routes["/health"]["GET"].view_function.__name__.startswith("lazy_")
print(json.dumps(TemplatedSwaggerGenerator().generate_swagger(app), sort_keys=True, default=str))
'''


def test_api_gateway_gets_the_same_definition_from_the_lazy_app(deps: Any) -> None:
    """What `chalice package` gives API Gateway (chalice's own swagger generator, the
    oracle) is the same for the prod app's stubs as for the real routes."""
    from chalice.deploy.swagger import TemplatedSwaggerGenerator

    from bench.cold_start import child_env
    application = _app()
    env = child_env(str(ROOT), "prod")
    run = subprocess.run([sys.executable, "-c", SWAGGER_CHILD], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    lazy = json.loads(run.stdout.strip().splitlines()[-1])
    eager = json.loads(json.dumps(TemplatedSwaggerGenerator().generate_swagger(application.app),
                                  sort_keys=True, default=str))
    api_paths = {p for p, methods in application.app.routes.items()
                 if any(e.view_function.__module__ in application.ROUTE_MODULES
                        for e in methods.values())}  # not the dev stage's own routes
    eager["paths"] = {p: v for p, v in eager["paths"].items() if p in api_paths}
    assert set(lazy["paths"]) == api_paths and len(api_paths) >= 80
    assert lazy == eager


def test_a_model_named_by_import_string_is_the_model_itself() -> None:
    """route(body="package.module:Name"): the spec reads as the class (resolved once), the
    boundary validates with it, and a malformed reference is refused when read."""
    from chalicelib.platform.http import REGISTRY, RouteSpec, resolve_model
    _app()
    from chalicelib.editions.models import MembersIn, MembersQuery
    spec = next(s for s in REGISTRY.routes if (s.method, s.path) == ("POST", "/admin/members"))
    assert spec.declared_body == "chalicelib.editions.models:MembersIn"  # as declared
    assert spec.body is MembersIn and spec.body is spec.body
    listing = next(s for s in REGISTRY.routes if (s.method, s.path) == ("GET", "/admin/members"))
    assert listing.query is MembersQuery
    assert resolve_model({"type": "string"}) == {"type": "string"} and resolve_model(None) is None
    for bad in ("chalicelib.editions.models", ":MembersIn", "chalicelib.editions.models:"):
        with pytest.raises(ValueError):
            RouteSpec("/x", "POST", "x", (), declared_body=bad).body
    with pytest.raises(AttributeError):
        resolve_model("chalicelib.editions.models:NoSuchModel")


@given(st.text(alphabet=st.characters(min_codepoint=0x4D00, max_codepoint=0xA100) | st.characters()))
@settings(max_examples=300, deadline=None)
def test_the_cjk_check_answers_as_the_regex_it_replaced(text: str) -> None:
    """platform/http._has_cjk (whether pydantic's message is already Chinese) against re,
    the "[\\u4e00-\\u9fff]" class it replaced because compiling that class cost every cold
    start ~14 ms."""
    from chalicelib.platform.http import _has_cjk
    assert _has_cjk(text) == bool(re.search("[\u4e00-\u9fff]", text))
